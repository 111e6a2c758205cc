"""The stage list a page shows while it proves a connection: one row per stage, passing or failing in the
core's own words (Nextcloud's account wizard checks the server the same way, one step after another)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from gpmc_desktop.sync.check import StageResult
from gpmc_desktop.ui.colours import colours
from gpmc_desktop.ui.icons import draw_state_image
from gpmc_desktop.ui.status import State

# What each core stage proves, in the words the page shows next to the core's message.
STAGE_TITLES = {
    ("gp", "fields"): "Fields",
    ("gp", "reach"): "Server",
    ("gp", "tls"): "Certificate",
    ("gp", "auth"): "Sign-in",
    ("gp", "companies"): "Company list",
    ("gp", "company"): "Company",
    ("gp", "sample"): "Customers",
    ("gp", "data"): "GP data",
    ("mailchimp", "key"): "API key",
    ("mailchimp", "ping"): "Account",
    ("mailchimp", "audiences"): "Audiences",
    ("mailchimp", "audience"): "Audience",
    ("mailchimp", "store"): "Store",
    ("wizard", "error"): "Problem",
    ("wizard", "saved"): "Saved",
}

ICON_PX = 16


def _pixmap(state: State) -> QPixmap:
    return QPixmap.fromImage(draw_state_image(state, ICON_PX * 2)).scaled(
        ICON_PX, ICON_PX, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


class StageList(QWidget):
    """Rows of (icon, stage title, message); `results` keeps what was shown, for the page and the tests."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 4, 0, 4)
        self._grid.setHorizontalSpacing(8)
        self._grid.setColumnStretch(2, 1)
        self.results: list[StageResult] = []
        self.stale = False
        self._rows: list[tuple[QLabel, QLabel, QLabel]] = []
        self._busy: QLabel | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def clear(self) -> None:
        for widgets in self._rows:
            for w in widgets:
                self._grid.removeWidget(w)
                w.hide()  # now: deleteLater waits for the event loop, and the new rows go in the same cells
                w.deleteLater()
        self._rows.clear()
        self.results.clear()
        self.drop_busy()
        self.setEnabled(True)
        self.stale = False

    def drop_busy(self) -> None:
        if self._busy is not None:
            self._grid.removeWidget(self._busy)
            self._busy.hide()
            self._busy.deleteLater()
            self._busy = None

    def set_stale(self, stale: bool) -> None:
        """Grey the rows out when the fields no longer hold the values they proved, or that failed: a failure
        stays red only while the value it blamed is still there."""
        self.setEnabled(not stale)
        self.stale = stale
        self.setToolTip("The fields changed since this check: run it again." if stale else "")
        for result, (_icon, _title, message) in zip(self.results, self._rows, strict=True):
            if not result.ok:
                message.setStyleSheet("" if stale else colours(self).error_style())  # disabled: the palette's grey

    def set_busy(self, text: str) -> None:
        """A "checking…" line under the rows until the next result arrives."""
        self.drop_busy()
        self._busy = QLabel(text, self)
        self._busy.setObjectName("stageBusy")
        self._busy.setStyleSheet(colours(self).muted_style())
        self._grid.addWidget(self._busy, len(self._rows), 0, 1, 3)
        self._busy.show()

    def add(self, result: StageResult) -> None:
        self.drop_busy()
        self.results.append(result)
        icon = QLabel(self)
        icon.setPixmap(_pixmap(State.IDLE if result.ok else State.ERROR))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        title = QLabel(STAGE_TITLES.get((result.system, result.stage), result.stage.capitalize()), self)
        title.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        message = QLabel(result.message, self)
        message.setWordWrap(True)
        message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # copy into a ticket
        message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        if not result.ok:
            message.setStyleSheet(colours(self).error_style())  # readable on a light and a dark palette
        row = len(self._rows)
        self._grid.addWidget(icon, row, 0)
        self._grid.addWidget(title, row, 1)
        self._grid.addWidget(message, row, 2)
        for w in (icon, title, message):
            w.show()  # a layout shows a new child of a visible page only on the next event loop pass
        self._rows.append((icon, title, message))

    # -- what the page (and the tests) ask ---------------------------------------------------------------
    def latest_row(self) -> QWidget | None:
        """The busy line, or else the newest row's message (what the page scrolls to)."""
        if self._busy is not None:
            return self._busy
        return self._rows[-1][2] if self._rows else None

    def passed(self, *stages: str) -> bool:
        """True when every named stage has a passing row and no row failed."""
        ok = {r.stage for r in self.results if r.ok}
        return not self.failures() and all(s in ok for s in stages)

    def failures(self) -> list[StageResult]:
        return [r for r in self.results if not r.ok]

    def text(self) -> str:
        return "\n".join(r.line() for r in self.results)
