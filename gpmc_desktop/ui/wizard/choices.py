"""How new contacts join the audience (the user must choose; there is no silent default), which GP customers
are synced, and the radio-choice page the contacts and order e-mail pages share."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from gpmc_desktop.profile import SyncFilters
from gpmc_desktop.ui.wizard.base import Page, banner, hint

# The schema's status_if_new choices in their order (a test holds them equal); one line each on what the choice
# does to a new contact, in the words a finance admin uses.
CONTACT_MODES: dict[str, tuple[str, str]] = {
    "transactional": (
        "Transactional (not subscribed)",
        "They receive order and account e-mails, never your campaigns, unless they subscribe themselves.",
    ),
    "subscribed": (
        "Subscribed",
        "They receive your marketing campaigns: choose this only if these customers agreed to marketing e-mail.",
    ),
    "pending": (
        "Pending (double opt-in)",
        "Mailchimp e-mails each new contact a confirmation link; they join your campaigns only if they click it.",
    ),
}


class RadioChoices(QWidget):
    """Radio buttons, one grey line under each on what it does, and none checked until the user picks one."""

    changed = Signal()

    def __init__(self, choices: dict[str, tuple[str, str]], name_prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QRadioButton] = {}
        for value, (label, explanation) in choices.items():
            button = QRadioButton(label, self)
            button.setObjectName(f"{name_prefix}_{value}")
            self.group.addButton(button)
            self.buttons[value] = button
            layout.addWidget(button)
            line = hint(explanation, self)
            line.setContentsMargins(24, 0, 0, 8)
            layout.addWidget(line)
        self.group.buttonToggled.connect(self.changed)

    def choice(self) -> str | None:
        for value, button in self.buttons.items():
            if button.isChecked():
                return value
        return None

    def set_choice(self, value: str | None) -> None:
        """Check *value*'s button, or none (an unknown or absent value: the user must choose)."""
        if value in self.buttons:
            self.buttons[value].setChecked(True)
            return
        # Clearing an exclusive group needs exclusivity off for a moment.
        self.group.setExclusive(False)
        for button in self.buttons.values():
            button.setChecked(False)
        self.group.setExclusive(True)


class ChoicePage(Page):
    """A page of radio choices with no default: Next waits until the user has chosen."""

    def __init__(self, title: str, subtitle: str, choices: dict[str, tuple[str, str]], name_prefix: str,
                 footer: str, parent: QWidget | None = None, *, intro: str = "") -> None:
        """*intro*: an explanation above the choices, for more than the wizard's subtitle shows."""
        super().__init__(parent)
        self.setTitle(title)
        self.setSubTitle(subtitle)
        layout = self.body_layout()
        self.banner = banner(self)
        layout.addWidget(self.banner)
        if intro:
            self.intro = QLabel(intro, self)
            self.intro.setWordWrap(True)
            self.intro.setContentsMargins(0, 0, 0, 8)
            layout.addWidget(self.intro)
        self.choices = RadioChoices(choices, name_prefix, self)
        self.buttons = self.choices.buttons
        self.choices.changed.connect(self._changed)
        layout.addWidget(self.choices)
        layout.addWidget(hint(footer, self))
        layout.addStretch(1)

    def choice(self) -> str | None:
        return self.choices.choice()

    def set_choice(self, value: str | None) -> None:
        self.choices.set_choice(value)

    @Slot()
    def _changed(self) -> None:
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.choice() is not None


class ContactsPage(ChoicePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "How new contacts join the audience",
            "GP customers who are not in the audience yet are added this way. Contacts already in Mailchimp keep "
            "their status; unsubscribed people stay unsubscribed.",
            CONTACT_MODES, "mode",
            "Mailchimp bills every contact in the audience, subscribed or not: the preview shows how many this "
            "profile adds.", parent)

    def mode(self) -> str | None:
        return self.choice()

    def set_mode(self, value: str | None) -> None:
        self.set_choice(value)


class FiltersPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Which customers to sync")
        self.setSubTitle("Customers left out are counted in the preview with the reason.")
        layout = self.body_layout()
        self.with_email = QCheckBox("Only customers with an e-mail address", self)
        self.with_email.setChecked(True)
        self.with_email.setEnabled(False)  # Mailchimp contacts are e-mail addresses: always on
        layout.addWidget(self.with_email)
        self.skip_inactive = QCheckBox("Skip customers marked inactive in GP", self)
        self.skip_inactive.setChecked(SyncFilters().skip_inactive)
        layout.addWidget(self.skip_inactive)
        self.skip_on_hold = QCheckBox("Skip customers on hold in GP", self)
        self.skip_on_hold.setChecked(SyncFilters().skip_on_hold)
        layout.addWidget(self.skip_on_hold)
        layout.addSpacing(8)
        layout.addWidget(QLabel("Customer classes (tick none to sync every class):", self))
        self.classes = QListWidget(self)
        self.classes.setMaximumHeight(170)
        layout.addWidget(self.classes)
        add_row = QHBoxLayout()
        self.new_class = QLineEdit(self)
        self.new_class.setPlaceholderText("another class id")
        self.add_class_button = QPushButton("Add", self)
        self.add_class_button.setAutoDefault(False)
        self.add_class_button.clicked.connect(self._add_typed)
        self.new_class.returnPressed.connect(self._add_typed)
        add_row.addWidget(self.new_class, 1)
        add_row.addWidget(self.add_class_button)
        layout.addLayout(add_row)
        self.classes_hint = hint("", self)
        layout.addWidget(self.classes_hint)
        layout.addStretch(1)

    def initializePage(self) -> None:
        sample = self.setup_wizard().sample
        if sample is not None:
            for class_id, count in sample.classes.items():
                self._ensure(class_id, f"{class_id}  ({count} customer{'s' if count != 1 else ''})")
            self.classes_hint.setText(f"Classes found among the company's {sample.customers} customers.")
        else:
            self.classes_hint.setText("Type the class ids to sync, or tick none to sync every class.")

    def _ensure(self, class_id: str, label: str | None = None, checked: bool | None = None) -> QListWidgetItem:
        for row in range(self.classes.count()):
            item = self.classes.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == class_id:
                if label:
                    item.setText(label)
                if checked is not None:
                    item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return item
        item = QListWidgetItem(label or class_id, self.classes)
        item.setData(Qt.ItemDataRole.UserRole, class_id)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        return item

    @Slot()
    def _add_typed(self) -> None:
        class_id = self.new_class.text().strip()
        if class_id:
            self._ensure(class_id, checked=True)
            self.new_class.clear()

    def set_filters(self, filters: SyncFilters) -> None:
        self.skip_inactive.setChecked(filters.skip_inactive)
        self.skip_on_hold.setChecked(filters.skip_on_hold)
        for row in range(self.classes.count()):
            self.classes.item(row).setCheckState(Qt.CheckState.Unchecked)
        for class_id in filters.customer_classes:
            self._ensure(class_id, checked=True)

    def set_class(self, class_id: str, checked: bool = True) -> None:
        self._ensure(class_id, checked=checked)

    def values(self) -> dict[str, Any]:
        """This page's keys as a profile document has them."""
        filters = self.filters()
        return {"skip_inactive": filters.skip_inactive, "skip_on_hold": filters.skip_on_hold,
                "customer_classes": list(filters.customer_classes)}

    def filters(self) -> SyncFilters:
        chosen = []
        for row in range(self.classes.count()):
            item = self.classes.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                chosen.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return SyncFilters(skip_inactive=self.skip_inactive.isChecked(), skip_on_hold=self.skip_on_hold.isChecked(),
                           customer_classes=tuple(chosen))
