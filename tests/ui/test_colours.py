"""The colours the app paints itself are readable on a light and on a dark palette: WCAG contrast ≥ 4.5:1 against
the window background, computed for real on both palettes (the old fixed red was ~2:1 on a dark window)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QPoint, QSize
from PySide6.QtGui import QColor, QPalette

from gpmc_desktop.ui.colours import MIN_CONTRAST, colours_for, contrast
from gpmc_desktop.ui.main_window import MainWindow
from gpmc_desktop.ui.status import StatusBoard


def palette(window: str, text: str) -> QPalette:
    p = QPalette(QColor(window))
    p.setColor(QPalette.ColorRole.Window, QColor(window))
    p.setColor(QPalette.ColorRole.WindowText, QColor(text))
    return p


LIGHT = ("#efefef", "#000000")  # Windows' and Fusion's light window
DARK = ("#202020", "#ffffff")  # Windows 11's dark mode
PALETTES = {"light": LIGHT, "dark": DARK, "dark grey": ("#353535", "#dddddd"), "white": ("#ffffff", "#1a1a1a")}


def test_the_contrast_formula_matches_wcag():
    assert contrast(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)
    assert contrast(QColor("#b3261e"), QColor(DARK[0])) < 3  # why this module exists


@pytest.mark.parametrize("name", PALETTES)
def test_every_colour_reaches_4_5_to_1_on_its_background(qtbot, name):
    window, text = PALETTES[name]
    c = colours_for(palette(window, text))
    background = QColor(window)
    assert contrast(c.error, background) >= MIN_CONTRAST
    assert contrast(c.warning, background) >= MIN_CONTRAST
    assert contrast(c.notice_text, c.notice_background) >= MIN_CONTRAST
    # Still a red: the hue is kept, only the lightness moves.
    assert c.error.hslHue() in range(0, 15) or c.error.hslHue() > 345


def test_the_window_banner_follows_a_dark_palette(qtbot, state):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    before = app.palette()
    try:
        app.setPalette(palette(*DARK))
        window = MainWindow(StatusBoard())
        qtbot.addWidget(window)
        style = window.notice.styleSheet()
        background, text = (QColor(re.search(rf"{key}: (#[0-9a-f]{{6}})", style).group(1))
                            for key in ("background", "color"))
        assert contrast(text, background) >= MIN_CONTRAST
        assert background.lightness() < 128  # a dark banner on a dark window, not a pale yellow glare
    finally:
        app.setPalette(before)


# -- the colours as drawn: each widget rendered on a light and on a dark palette ------------------------------------
# Full palettes (table rows have their own base colours), like Windows 11's light and dark modes.
FULL = {
    "light": {"Window": "#efefef", "WindowText": "#000000", "Base": "#ffffff", "AlternateBase": "#f5f5f5",
              "Text": "#000000", "Button": "#efefef", "ButtonText": "#000000"},
    "dark": {"Window": "#202020", "WindowText": "#ffffff", "Base": "#2b2b2b", "AlternateBase": "#323232",
             "Text": "#ffffff", "Button": "#2d2d2d", "ButtonText": "#ffffff"},
}


@pytest.fixture(params=sorted(FULL))
def theme(request, qtbot):
    """The application's palette set to a light or a dark theme for the test (widgets made after it follow it)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    before = app.palette()
    p = QPalette(QColor(FULL[request.param]["Button"]))
    for role, value in FULL[request.param].items():
        p.setColor(getattr(QPalette.ColorRole, role), QColor(value))
    app.setPalette(p)
    try:
        yield request.param
    finally:
        app.setPalette(before)


def rendered(widget, area=None) -> tuple[QColor, QColor]:
    """(background, text) as painted: the commonest pixel of *area* (default: the whole widget) and the pixel
    that stands out most from it (a glyph's stem, drawn at full strength)."""
    from collections import Counter

    from PySide6.QtCore import QRect

    widget.window().show()
    image = widget.window().grab().toImage()
    area = area or QRect(widget.mapTo(widget.window(), widget.rect().topLeft()), widget.size())
    pixels = [image.pixelColor(x, y) for x in range(area.left(), area.right() + 1)
              for y in range(area.top(), area.bottom() + 1)]
    background = QColor(Counter(c.rgb() for c in pixels).most_common(1)[0][0])
    return background, max(pixels, key=lambda c: contrast(c, background))


def is_red(colour: QColor) -> bool:
    return colour.hslSaturation() > 60 and (colour.hslHue() < 15 or colour.hslHue() > 345)


def test_a_failed_wizard_stage_row_is_red_and_readable(qtbot, theme):
    from gpmc_desktop.sync.check import StageResult
    from gpmc_desktop.ui.wizard.stages import StageList

    stages = StageList()
    qtbot.addWidget(stages)
    stages.add(StageResult("gp", "auth", False, "GP refused the user name or password: check them with IT."))
    background, text = rendered(stages.latest_row())
    assert contrast(text, background) >= MIN_CONTRAST and is_red(text)
    stages.set_busy("Checking the company list…")
    background, text = rendered(stages.latest_row())  # the quieter "checking…" line, still readable
    assert contrast(text, background) >= MIN_CONTRAST


def test_the_wizard_hint_and_banner_are_readable(qtbot, theme):
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from gpmc_desktop.ui.wizard.base import banner, hint

    page = QWidget()
    qtbot.addWidget(page)
    layout = QVBoxLayout(page)
    note = hint("The server's address as IT gave it, e.g. https://gp.example.com:9443.", page)
    notice = banner(page)
    notice.setText("Your saved GP password was refused: enter the new one and check again.")
    notice.show()
    layout.addWidget(note)
    layout.addWidget(notice)
    for label in (note, notice):
        background, text = rendered(label)
        assert contrast(text, background) >= MIN_CONTRAST, label.text()
    if theme == "dark":
        assert rendered(notice)[0].lightness() < 128  # no pale yellow glare on a dark window


def test_the_password_dialogs_error_is_red_and_readable(qtbot, theme, credentials):
    from gpmc_desktop.credentials import GP_PASSWORD
    from gpmc_desktop.ui.password_dialog import PasswordDialog

    dialog = PasswordDialog("Fabrikam", GP_PASSWORD, credentials)
    qtbot.addWidget(dialog)
    dialog.save()  # nothing typed
    assert dialog.error.text() == "Enter a value, or Cancel."
    background, text = rendered(dialog.error)
    assert contrast(text, background) >= MIN_CONTRAST and is_red(text)


def test_an_audit_row_in_red_is_readable_on_the_table(qtbot, theme, state):
    from PySide6.QtWidgets import QTableView

    from gpmc_desktop import store
    from gpmc_desktop.store import AuditFilter, NewAuditEvent
    from gpmc_desktop.ui.audit_model import AuditTableModel

    pid = store.save_profile("Fabrikam").id
    run_id = store.start_run(pid, "incremental")
    store.record_audit(run_id, [
        NewAuditEvent(entity="customer", gp_key="THOMASEL0001", action="failed", email="abrown@example.com",
                      http_status=400, error_title="Member In Compliance State"),
        NewAuditEvent(entity="customer", gp_key="ADAMPARK0001", action="skipped", reason="no e-mail in GP")])
    store.finish_run(run_id, "partial")
    model = AuditTableModel()
    model.set_filter(AuditFilter(profile_id=pid))
    assert model.wait()
    view = QTableView()
    qtbot.addWidget(view)
    view.setAlternatingRowColors(True)
    view.setModel(model)
    view.resize(1400, 200)
    action = next(i for i, c in enumerate(model.columns) if c.title == "Action")
    drawn = {}
    for row in range(2):
        cell = view.visualRect(model.index(row, action))  # in the viewport's coordinates
        background, text = rendered(view, cell.translated(view.viewport().mapTo(view.window(), QPoint(0, 0))))
        assert contrast(text, background) >= MIN_CONTRAST, model.index(row, action).data()
        drawn[model.index(row, action).data()] = text
    assert is_red(drawn["failed"]) and not is_red(drawn["skipped"])


def test_the_summarys_need_you_line_and_the_charts_text_are_readable(qtbot, theme, state):
    from datetime import UTC, datetime, timedelta

    from PySide6.QtCore import QRect

    from gpmc_desktop import store
    from gpmc_desktop.ui.summary_view import SummaryView

    pid = store.save_profile("Fabrikam").id
    started = datetime.now(UTC) - timedelta(hours=2)
    counts = {"customer": {"created": 1, "updated": 0, "unchanged": 10, "skipped": 0, "failed": 3},
              "order": {"created": 2, "updated": 0, "unchanged": 20, "skipped": 0, "failed": 0}}
    run_id = store.start_run(pid, "incremental", now=started)
    store.finish_run(run_id, "partial", counts=counts, now=started + timedelta(minutes=2))
    view = SummaryView(StatusBoard())
    qtbot.addWidget(view)
    view.set_profile("Fabrikam", pid)
    view.resize(800, 600)
    assert "need you" in view.sentence.text()
    background, text = rendered(view.sentence)
    assert contrast(text, background) >= MIN_CONTRAST
    chart = view.chart
    caption = QRect(chart.mapTo(chart.window(), chart.rect().bottomLeft()) - QPoint(0, 17), QSize(chart.width(), 16))
    background, text = rendered(chart, caption)  # "tallest bar: … records", under the bars
    assert contrast(text, background) >= MIN_CONTRAST


def test_no_text_colour_is_fixed_outside_the_colours_module() -> None:
    """A fixed hex colour is readable on one palette only (the issue's ~2:1 red on dark); the state icons are drawn
    shapes with their own outline, not text."""
    import re
    from pathlib import Path

    import gpmc_desktop.ui as ui

    root = Path(ui.__file__).parent
    fixed = [f"{path.relative_to(root)}:{n}" for path in sorted(root.rglob("*.py"))
             if path.name not in ("colours.py", "icons.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"#[0-9a-fA-F]{6}\b", line)]
    assert fixed == []
