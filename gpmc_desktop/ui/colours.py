"""The few colours the app paints itself (error red, warning amber, the notice banner), picked per palette.

A fixed red or a fixed pale-yellow banner reads well on Windows' light theme and badly on a dark one (#b3261e on
a dark grey window is about 2:1). Each colour here keeps its hue and moves its lightness until it reaches the WCAG
AA contrast of 4.5:1 against the palette's window background, so it is readable whichever theme the user runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

MIN_CONTRAST = 4.5  # WCAG 2 AA for normal text
_ERROR = QColor("#b3261e")
_WARNING = QColor("#7a6a00")
_NOTICE = QColor("#ffd75e")  # the amber the notice banner is tinted with
_NOTICE_TINT = 0.3  # how much of it is mixed into the window background


def luminance(colour: QColor) -> float:
    """WCAG relative luminance (0 black … 1 white)."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio between two colours (1 … 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(colour: QColor, background: QColor, minimum: float = MIN_CONTRAST) -> QColor:
    """*colour* with its hue kept, darkened on a light background or lightened on a dark one until it reaches
    *minimum* contrast against *background*."""
    dark_background = luminance(background) < 0.5
    hue, saturation, lightness, _ = colour.getHslF()
    hue = max(hue, 0.0)  # -1 for greys
    step = 0.02 if dark_background else -0.02
    candidate = QColor(colour)
    while contrast(candidate, background) < minimum and 0.0 < lightness < 1.0:
        lightness = min(1.0, max(0.0, lightness + step))
        candidate = QColor.fromHslF(hue, saturation, lightness)
    return candidate


def _mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    keep = 1.0 - share_of_b
    return QColor.fromRgbF(a.redF() * keep + b.redF() * share_of_b, a.greenF() * keep + b.greenF() * share_of_b,
                           a.blueF() * keep + b.blueF() * share_of_b)


def _best_text(background: QColor, preferred: QColor) -> QColor:
    """The palette's own text colour when it is readable on *background*, else black or white."""
    if contrast(preferred, background) >= MIN_CONTRAST:
        return preferred
    return max((QColor("black"), QColor("white")), key=lambda c: contrast(c, background))


@dataclass(frozen=True, slots=True)
class Colours:
    error: QColor  # error text: a refused password, a failed check, a failed record
    warning: QColor  # warning text: a skipped record
    notice_background: QColor  # the banner in the window (demo running, toasts without a tray)
    notice_text: QColor
    notice_border: QColor
    muted: QColor  # the grey of a hint under a field or a "checking…" line: quieter than text, still readable
    table_error: QColor  # error and warning text inside a table: against its base (white on a light theme)
    table_warning: QColor

    def notice_style(self, selector: str = "QLabel") -> str:
        return (f"{selector} {{ background: {self.notice_background.name()}; color: {self.notice_text.name()}; "
                f"border: 1px solid {self.notice_border.name()}; padding: 6px; }}")

    def error_style(self) -> str:
        return f"color: {self.error.name()};"

    def muted_style(self) -> str:
        return f"color: {self.muted.name()};"


def _readable_on_both(colour: QColor, first: QColor, second: QColor) -> QColor:
    """*colour* readable on a table's rows and on its alternate rows."""
    return readable(readable(colour, first), second)


def colours_for(palette: QPalette) -> Colours:
    window = palette.color(QPalette.ColorRole.Window)
    base = palette.color(QPalette.ColorRole.Base)
    alternate = palette.color(QPalette.ColorRole.AlternateBase)
    notice_background = _mix(window, _NOTICE, _NOTICE_TINT)
    return Colours(
        error=readable(_ERROR, window),
        warning=readable(_WARNING, window),
        notice_background=notice_background,
        notice_text=_best_text(notice_background, palette.color(QPalette.ColorRole.WindowText)),
        notice_border=readable(_NOTICE, notice_background, 1.5),
        # Palette roles like Dark or Mid are frame shades, not text: ~2.5:1 on Fusion's light window.
        muted=readable(_mix(window, palette.color(QPalette.ColorRole.WindowText), 0.6), window),
        table_error=_readable_on_both(_ERROR, base, alternate),
        table_warning=_readable_on_both(_WARNING, base, alternate),
    )


def colours(widget: QWidget | None = None) -> Colours:
    """The colours for *widget*'s palette (the application's when None)."""
    palette = widget.palette() if widget is not None else QApplication.palette()
    key = palette.cacheKey()  # a table asks once per painted cell: compute once per palette
    found = _BY_PALETTE.get(key)
    if found is None:
        found = _BY_PALETTE[key] = colours_for(palette)
    return found


_BY_PALETTE: dict[int, Colours] = {}
