"""What every wizard page shares (a body that scrolls on a small screen, a notice banner) and what a page that
proves a connection adds: a "Test" button after its fields in tab order, Enter running it, a stage list, a
background job, and "complete" only while the stages passed for the values now in the fields."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from gpmc_desktop.sync.check import StageResult
from gpmc_desktop.ui.background import Task
from gpmc_desktop.ui.colours import colours
from gpmc_desktop.ui.wizard.background import crash_text
from gpmc_desktop.ui.wizard.stages import StageList

if TYPE_CHECKING:
    from gpmc_desktop.ui.wizard.wizard import SetupWizard


def hint(text: str, parent: QWidget | None = None) -> QLabel:
    """A grey, wrapped explanatory line under a field or a choice."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet(colours(label).muted_style())  # palette(dark) is a frame shade: ~2.5:1
    return label


def buddy_label(text: str, buddy: QWidget, parent: QWidget | None = None) -> QLabel:
    """A form label whose &-shortcut focuses *buddy* (QFormLayout only does that when the field is a widget,
    not a row layout; otherwise the "&" shows)."""
    label = QLabel(text, parent)
    label.setBuddy(buddy)
    return label


def banner(parent: QWidget | None = None) -> QLabel:
    """A hidden notice at the top of a page (why the wizard was opened here, what to do)."""
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setObjectName("banner")
    label.setStyleSheet(colours(label).notice_style())  # a pale yellow glares on a dark palette
    label.hide()
    return label


#: The stage row a page shows for a saved profile's values that nobody changed (no network check needed).
SAVED_MESSAGE = "Unchanged since the profile was saved. Change a field to check it again."


class Page(QWizardPage):
    banner: QLabel | None = None
    _notice_until_passed = False
    _body: QVBoxLayout | None = None

    def setup_wizard(self) -> SetupWizard:
        return cast("SetupWizard", self.wizard())

    def body_layout(self) -> QVBoxLayout:
        """The layout of the page's content, inside a frameless scroll area: on a small screen (1366×768 at
        125%) the page scrolls instead of pushing the wizard's buttons off the screen."""
        if self._body is None:
            body = QWidget(self)
            self._body = QVBoxLayout(body)
            self._body.setContentsMargins(0, 0, 0, 0)
            scroll = QScrollArea(self)
            scroll.setObjectName("pageScroll")
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidgetResizable(True)
            scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from field to field, not to the frame
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the text wraps instead
            scroll.setWidget(body)
            outer = QVBoxLayout(self)
            outer.setContentsMargins(0, 0, 0, 0)
            outer.addWidget(scroll)
            self.scroll = scroll
            self.pinned = outer  # under the scrolling body: what must stay in view above the buttons
        return self._body

    def show_notice(self, text: str, *, until_passed: bool = False) -> None:
        """Why the wizard opened here; *until_passed*: hide it once the page's check passes."""
        if self.banner is not None:
            self.banner.setText(text)
            self.banner.show()
            self._notice_until_passed = until_passed


class CheckedPage(Page):
    """A page whose Next waits for a staged check.

    Subclasses build their fields into `self.form_area`, call `watch()` on each field that the check depends
    on, implement `signature()` (the values the check proves, secrets included, never stored) and start the
    check through `run_check()`.
    """

    #: Shown on the busy line while the check runs.
    busy_text = "Checking…"

    def __init__(self, button_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = self.body_layout()
        self.banner = banner(self)
        self._layout.addWidget(self.banner)
        self.form_area = QVBoxLayout()
        self._layout.addLayout(self.form_area)
        row = QHBoxLayout()
        self.test_button = QPushButton(button_text, self)
        self.test_button.setDefault(False)
        self.test_button.setAutoDefault(False)  # Enter in a field must not start a network check
        row.addWidget(self.test_button)
        row.addStretch(1)
        self._layout.addLayout(row)
        self.stages = StageList(self)
        self._layout.addWidget(self.stages)
        self._layout.addStretch(1)
        self._job: Task | None = None
        self._checked: Hashable | None = None  # signature of the values the last passing check proved
        self._pending: Hashable | None = None  # signature of the values the running check is proving
        self._tried: Hashable | None = None  # signature of the values the rows on screen are about
        self._on_done: Callable[[Any], None] | None = None
        self.passed_here = False  # a check passed in this wizard (closing it then asks first)

    def order_tabs(self, *fields: QWidget) -> None:
        """Tab goes through *fields* in the order given and then to the check button (which Qt would otherwise
        put first: it is made before the fields)."""
        chain = [*fields, self.test_button]
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def enter_pressed(self) -> None:
        """Enter in a field runs the page's check (never Next or Finish by accident)."""
        if self.test_button.isEnabled():
            self.test_button.click()

    def has_secrets(self) -> bool:
        """Whether the secret this page's check signs in with is filled (a keyring that could not be read, or a
        refused secret, leaves it empty: such a page must be checked again)."""
        return True

    def accept_saved(self) -> None:
        """The fields hold a saved profile's values: they count as checked until one of them changes."""
        self.stages.clear()
        self.stages.add(StageResult("wizard", "saved", True, SAVED_MESSAGE))
        self._checked = self._tried = self.signature()
        self.completeChanged.emit()

    # -- to implement ------------------------------------------------------------------------------------
    def signature(self) -> Hashable:
        raise NotImplementedError

    def required_stages(self) -> tuple[str, ...]:
        raise NotImplementedError

    # -- state ---------------------------------------------------------------------------------------------
    def watch(self, *signals: Any) -> None:
        """Any change to these fields makes the last check stale (Next goes grey until tested again)."""
        for signal in signals:
            signal.connect(self.invalidate)

    @Slot()
    def invalidate(self) -> None:
        """A watched field changed: Next follows whether the values are still the ones proven (typing a
        character and deleting it again needs no new test)."""
        if self.stages.results:  # passed rows grey out, failed rows stop blaming the changed value
            self.stages.set_stale(self.signature() != self._tried)
        self.completeChanged.emit()

    def passed(self) -> bool:
        return self._checked is not None and self._checked == self.signature()

    def isComplete(self) -> bool:
        return self.passed() and not self.running()

    def running(self) -> bool:
        return self._job is not None and self._job.active()

    # -- the check -----------------------------------------------------------------------------------------
    def run_check(self, work: Callable[[Callable[[Any], None]], Any],
                  on_done: Callable[[Any], None] | None = None) -> None:
        """Start *work* off the GUI thread; its StageResults fill the list; *on_done* gets its return value."""
        if self._job is not None:
            self._job.drop()
        self._checked = None
        self._pending = self._tried = self.signature()
        self._on_done = on_done
        self.stages.clear()
        self.stages.set_busy(self.busy_text)
        self.test_button.setEnabled(False)
        self._job = self.setup_wizard().background.start(
            work, name=f"wizard check ({type(self).__name__})", on_item=self._stage, on_result=self._result,
            on_error=self._crash, on_finished=self._finished)
        self.completeChanged.emit()

    def report(self, result: StageResult) -> None:
        """Show a result computed on the GUI thread (a field the user must fix before any network call)."""
        self.stages.clear()
        self.stages.add(result)
        self._checked = None
        self._tried = self.signature()
        self._show_latest_row()
        self.completeChanged.emit()

    def show_stage(self, result: StageResult) -> bool:
        """Whether a stage row belongs on this page (the company page hides the GP page's passing rows)."""
        return True

    @Slot(object)
    def _stage(self, result: StageResult) -> None:
        if self.show_stage(result):
            self.stages.add(result)
            if result.ok:
                self.stages.set_busy(self.busy_text)
            self._show_latest_row()

    def _show_latest_row(self) -> None:
        """On a small screen the rows are below the fold: scroll to the newest once the layout placed it."""
        QTimer.singleShot(0, self, self._scroll_to_latest)

    @Slot()
    def _scroll_to_latest(self) -> None:
        row = self.stages.latest_row()
        if row is not None:
            self.scroll.ensureWidgetVisible(row)
            # Only downwards: a body a little wider than the viewport must not slide sideways (it clipped the
            # labels' first letters); its text wraps and it has no horizontal scroll bar to scroll back with.
            self.scroll.horizontalScrollBar().setValue(0)

    @Slot(object)
    def _result(self, value: Any) -> None:
        if self._on_done is not None:
            self._on_done(value)
        if self.stages.passed(*self.required_stages()) and self._pending == self.signature():
            self._checked = self._pending
            self.passed_here = True
            if self._notice_until_passed:
                self.banner.hide()  # the problem it announced (a refused secret) is solved

    @Slot(str)
    def _crash(self, error: str) -> None:
        self.stages.add(StageResult("wizard", "error", False, crash_text(error)))

    @Slot()
    def _finished(self) -> None:
        self._job = None  # the task deletes itself now
        self.stages.drop_busy()
        self.test_button.setEnabled(True)
        self.completeChanged.emit()

    def cleanupPage(self) -> None:  # Back must not undo what the user typed
        pass
