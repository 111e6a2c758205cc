"""Tray tooltips and toasts within Windows' limits (tooltip 127, toast title 63 and text 255 characters), checked
with the longest texts the app really produces: a refused GP password after a real sync, a long profile name."""

from __future__ import annotations

from gpmc_desktop.credentials import GP_PASSWORD
from gpmc_desktop.ui.windows_limits import (
    TOAST_TEXT_MAX,
    TOAST_TITLE_MAX,
    TOOLTIP_MAX,
    fit_lines,
    fit_toast,
    fit_tooltip,
    shorten,
)
from tests.ui.conftest import wait_for_run


def test_shorten_cuts_on_a_word_and_marks_the_cut():
    text = "Finished with 3 failed record(s): 0 customers sent; 12 invoices sent"
    cut = shorten(text, 40)
    assert len(cut) <= 40 and cut.endswith("…")
    assert text.startswith(cut[:-1].rstrip()) and not cut[:-1].endswith(" ")
    assert shorten("short", 40) == "short"
    assert len(shorten("x" * 300, 63)) == 63  # one endless word is still cut to the limit


def test_fit_lines_shortens_the_longest_line_and_keeps_each_start():
    lines = ["gpmc-desktop", "Fabrikam main company: " + "Failed: GP: " + "the server refused " * 8,
             "  Next run Fri 05 Dec 07:00"]
    fitted = fit_lines(lines, TOOLTIP_MAX)
    assert len(fitted) <= TOOLTIP_MAX
    out = fitted.splitlines()
    assert out[0] == "gpmc-desktop" and out[2] == "  Next run Fri 05 Dec 07:00"
    assert out[1].startswith("Fabrikam main company: Failed") and out[1].endswith("…")


def test_the_password_toast_and_the_tooltip_fit_after_a_real_refused_password(qtbot, controller, credentials,
                                                                             demo_profile):
    credentials.set(demo_profile, GP_PASSWORD, "not-the-password")
    first = wait_for_run(qtbot, controller)  # good → refused: the toast that offers to enter the password
    assert first.report is not None
    toast = controller.toasts[-1]
    assert toast.credential_kind == GP_PASSWORD
    full = len(toast.message)
    title, text = controller.tray.messages[-1]
    assert len(title) <= TOAST_TITLE_MAX and len(text) <= TOAST_TEXT_MAX
    assert text.endswith("Click here to enter it again.")  # what to do survives the cut
    assert "refused" in title and demo_profile in title
    if full > TOAST_TEXT_MAX:
        assert "…" in text
    tooltip = controller.tray.icon.toolTip()
    assert len(tooltip) <= TOOLTIP_MAX
    assert tooltip.splitlines()[1].startswith(f"{demo_profile}: Failed")


def test_a_long_profile_name_keeps_toast_titles_and_tooltips_in_bounds():
    name = "Fabrikam Office Supplies (North America) – receivables and customers"
    title, text = fit_toast(f"{name}: the GP password was refused", "Failed: " + "GP refused it. " * 30 +
                            "\nClick here to enter it again.")
    assert len(title) <= TOAST_TITLE_MAX and title.startswith("Fabrikam Office Supplies")
    assert len(text) <= TOAST_TEXT_MAX and text.endswith("Click here to enter it again.")
    tip = fit_tooltip("\n".join(["gpmc-desktop", f"{name}: Customers: 1,200 / 31,800",
                                 "  Next run Fri 05 Dec 07:00", f"{name} 2: OK: 5 customers sent; 12 invoices sent",
                                 "  Syncs only when you press Sync now"]))
    assert len(tip) <= TOOLTIP_MAX and tip.startswith("gpmc-desktop\nFabrikam")
