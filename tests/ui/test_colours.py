"""The colours the app paints itself are readable on a light and on a dark palette: WCAG contrast ≥ 4.5:1 against
the window background, computed for real on both palettes (the old fixed red was ~2:1 on a dark window)."""

from __future__ import annotations

import re

import pytest
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
