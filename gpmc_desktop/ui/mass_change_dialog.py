"""The question a run stopped by the mass-change guard asks: send the changes it would have made, or not.

The run wrote nothing; "Send these changes" starts it again with the person's confirmation (that run only),
"Don't send" leaves everything as it is, and the next sync asks again if GP still says the same.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from gpmc_desktop.sync.mass_change import EntityChange, MassChange
from gpmc_desktop.ui.question_buttons import add_question_buttons

ADVICE = ("If this is what you expect (the profile's filters or GP's data changed on purpose), send the changes. "
          "If not (the wrong company, e-mail addresses missing in GP), choose Don't send and check GP or the "
          "profile: nothing changes in Mailchimp, and the next sync asks again.")


def entity_html(change: EntityChange, limit: float) -> str:
    """One kind of record: the share, then each reason with its GP customer or invoice count, biggest first."""
    head = (f"<b>{change.changed} of {change.synced} {change.label}</b> Mailchimp already holds "
            f"({change.percent:.0f}%; the limit is {limit:g}%)")
    items = "".join(f"<li>{escape(reason.words(n))}</li>" for reason, n in change.biggest_first())
    return f"<p>{head}:</p><ul>{items}</ul>"


class MassChangeDialog(QDialog):
    decided = Signal(str, bool)  # profile, send the changes

    def __init__(self, profile: str, guard: MassChange, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.guard = guard
        self.setWindowTitle(f"Send these changes? – {profile}")
        layout = QVBoxLayout(self)
        intro = QLabel(f"The sync of <b>{escape(profile)}</b> stopped before sending anything: it would change "
                       "much of what Mailchimp already holds. <b>Nothing was sent.</b>", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.details = QLabel("".join(entity_html(e, guard.limit) for e in guard.over_limit), self)
        self.details.setWordWrap(True)
        layout.addWidget(self.details)
        advice = QLabel(ADVICE, self)
        advice.setWordWrap(True)
        layout.addWidget(advice)
        self.buttons, self.send_button, self.keep_button = add_question_buttons(
            self, layout, "Send these changes", "Don't send")
        self.keep_button.setDefault(True)  # Enter must not send a mass change

    @Slot()
    def accept(self) -> None:
        self.decided.emit(self.profile, True)
        super().accept()

    @Slot()
    def reject(self) -> None:
        self.decided.emit(self.profile, False)
        super().reject()
