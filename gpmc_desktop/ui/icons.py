"""The tray's state icons and the application icon, drawn with QPainter (no binary art to maintain).

`write_icon_files()` saves them as PNGs (and ``app.ico`` for the installer) under ``resources/icons/``;
`state_icon()` prefers those files and draws in memory when they are missing (a fresh checkout, a test).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPainterPath, QPen, QPixmap

from gpmc_desktop.resources import resources_dir
from gpmc_desktop.ui.status import State

ICON_SIZES = (16, 24, 32, 48, 64, 256)
_COLORS = {
    State.IDLE: "#2e9d4f",
    State.SYNCING: "#2f6fd6",
    State.WARNING: "#e0a400",
    State.ERROR: "#d23b3b",
    State.CANCELLED: "#6b7280",  # grey: nothing is wrong, the run was stopped
    State.NEVER_RUN: "#6b7280",
    State.NOT_SET_UP: "#9aa0a8",
}
_APP_COLOR = "#3d4db7"


def icons_dir() -> Path:
    return resources_dir() / "icons"


def _painter(image: QImage) -> QPainter:
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    return p


def _disc(p: QPainter, size: int, color: str) -> None:
    margin = size * 0.06
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(color))
    p.drawEllipse(QRectF(margin, margin, size - 2 * margin, size - 2 * margin))


def _glyph_pen(size: int) -> QPen:
    pen = QPen(QColor("white"), max(1.5, size * 0.11))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def draw_state_image(state: State, size: int = 64) -> QImage:
    """A coloured disc with a white glyph: check (idle), arrows (syncing), ! (warning), x (error), a stop square
    (cancelled), a clock (never run) or a plus (not set up)."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = _painter(image)
    _disc(p, size, _COLORS[state])
    s = float(size)
    p.setPen(_glyph_pen(size))
    p.setBrush(Qt.BrushStyle.NoBrush)
    if state is State.IDLE:
        path = QPainterPath(QPointF(s * 0.28, s * 0.52))
        path.lineTo(QPointF(s * 0.44, s * 0.68))
        path.lineTo(QPointF(s * 0.72, s * 0.34))
        p.drawPath(path)
    elif state is State.SYNCING:
        box = QRectF(s * 0.27, s * 0.27, s * 0.46, s * 0.46)
        p.drawArc(box, 30 * 16, 150 * 16)
        p.drawArc(box, 210 * 16, 150 * 16)
        # arrow heads at the ends of the two arcs
        p.drawLine(QPointF(s * 0.27, s * 0.50), QPointF(s * 0.21, s * 0.42))
        p.drawLine(QPointF(s * 0.27, s * 0.50), QPointF(s * 0.35, s * 0.44))
        p.drawLine(QPointF(s * 0.73, s * 0.50), QPointF(s * 0.79, s * 0.58))
        p.drawLine(QPointF(s * 0.73, s * 0.50), QPointF(s * 0.65, s * 0.56))
    elif state is State.WARNING:
        p.drawLine(QPointF(s * 0.5, s * 0.26), QPointF(s * 0.5, s * 0.58))
        p.drawPoint(QPointF(s * 0.5, s * 0.74))
    elif state is State.CANCELLED:
        p.drawRect(QRectF(s * 0.35, s * 0.35, s * 0.30, s * 0.30))
    elif state is State.NEVER_RUN:
        p.drawEllipse(QRectF(s * 0.27, s * 0.27, s * 0.46, s * 0.46))
        p.drawLine(QPointF(s * 0.5, s * 0.5), QPointF(s * 0.5, s * 0.36))
        p.drawLine(QPointF(s * 0.5, s * 0.5), QPointF(s * 0.61, s * 0.56))
    elif state is State.NOT_SET_UP:
        p.drawLine(QPointF(s * 0.5, s * 0.30), QPointF(s * 0.5, s * 0.70))
        p.drawLine(QPointF(s * 0.30, s * 0.5), QPointF(s * 0.70, s * 0.5))
    else:
        p.drawLine(QPointF(s * 0.33, s * 0.33), QPointF(s * 0.67, s * 0.67))
        p.drawLine(QPointF(s * 0.67, s * 0.33), QPointF(s * 0.33, s * 0.67))
    p.end()
    return image


def draw_app_image(size: int = 256) -> QImage:
    """The application icon: an indigo rounded square with a white arrow from "GP" into an envelope."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = _painter(image)
    s = float(size)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(_APP_COLOR))
    p.drawRoundedRect(QRectF(s * 0.04, s * 0.04, s * 0.92, s * 0.92), s * 0.18, s * 0.18)
    p.setPen(_glyph_pen(size))
    p.setBrush(Qt.BrushStyle.NoBrush)
    envelope = QRectF(s * 0.46, s * 0.50, s * 0.40, s * 0.28)
    p.drawRect(envelope)
    flap = QPainterPath(envelope.topLeft())
    flap.lineTo(QPointF(envelope.center().x(), envelope.top() + envelope.height() * 0.55))
    flap.lineTo(envelope.topRight())
    p.drawPath(flap)
    p.drawLine(QPointF(s * 0.16, s * 0.64), QPointF(s * 0.38, s * 0.64))
    p.drawLine(QPointF(s * 0.38, s * 0.64), QPointF(s * 0.31, s * 0.57))
    p.drawLine(QPointF(s * 0.38, s * 0.64), QPointF(s * 0.31, s * 0.71))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(6, int(s * 0.26)))
    p.setFont(font)
    p.setPen(QColor("white"))
    p.drawText(QRectF(s * 0.12, s * 0.14, s * 0.76, s * 0.32), Qt.AlignmentFlag.AlignCenter, "GP")
    p.end()
    return image


def _icon_from(files: list[Path], draw: object, sizes: tuple[int, ...] = ICON_SIZES) -> QIcon:
    icon = QIcon()
    existing = [f for f in files if f.is_file()]
    if existing:
        for f in existing:
            icon.addFile(str(f))
        return icon
    for size in sizes:
        icon.addPixmap(QPixmap.fromImage(draw(size)))  # type: ignore[operator]
    return icon


@cache  # the window and the tray ask on every status change (20 times a second while syncing)
def state_icon(state: State) -> QIcon:
    return _icon_from([icons_dir() / f"state-{state.value}.png"], lambda size: draw_state_image(state, size))


@cache
def state_pixmap(state: State, size: int = 32) -> QPixmap:
    return state_icon(state).pixmap(size, size)


@cache
def app_icon() -> QIcon:
    return _icon_from([icons_dir() / "app.png"], draw_app_image)


def write_icon_files(folder: Path | None = None) -> list[Path]:
    """Save the state icons (64 px PNG), ``app.png`` (256 px) and a multi-size ``app.ico``; returns the files."""
    folder = folder or icons_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for state in State:
        path = folder / f"state-{state.value}.png"
        if not draw_state_image(state, 64).save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        written.append(path)
    app_png = folder / "app.png"
    if not draw_app_image(256).save(str(app_png), "PNG"):
        raise OSError(f"could not write {app_png}")
    written.append(app_png)
    # Qt's ICO writer stores one image per file; Windows scales a 256 px entry well for every size it needs.
    app_ico = folder / "app.ico"
    if not draw_app_image(256).save(str(app_ico), "ICO"):
        raise OSError(f"could not write {app_ico} (the Qt ico image plugin is missing)")
    written.append(app_ico)
    return written


if __name__ == "__main__":  # python -m gpmc_desktop.ui.icons: regenerate resources/icons/
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication([])
    for written_path in write_icon_files():
        print(written_path)
