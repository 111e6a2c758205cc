"""Pages 4 and 5: how new contacts join the audience (the user must choose; there is no silent default) and
which GP customers are synced."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Slot
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


class ContactsPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("How new contacts join the audience")
        self.setSubTitle("GP customers who are not in the audience yet are added this way. Contacts already in "
                         "Mailchimp keep their status; unsubscribed people stay unsubscribed.")
        layout = QVBoxLayout(self)
        self.banner = banner(self)
        layout.addWidget(self.banner)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QRadioButton] = {}
        for value, (label, explanation) in CONTACT_MODES.items():
            button = QRadioButton(label, self)
            button.setObjectName(f"mode_{value}")
            self.group.addButton(button)
            self.buttons[value] = button
            layout.addWidget(button)
            line = hint(explanation, self)
            line.setContentsMargins(24, 0, 0, 8)
            layout.addWidget(line)
        self.group.buttonToggled.connect(self._toggled)
        layout.addWidget(hint("Mailchimp bills every contact in the audience, subscribed or not: the preview "
                              "shows how many this profile adds.", self))
        layout.addStretch(1)

    def mode(self) -> str | None:
        for value, button in self.buttons.items():
            if button.isChecked():
                return value
        return None

    def set_mode(self, value: str | None) -> None:
        if value in self.buttons:
            self.buttons[value].setChecked(True)
            return
        # Clearing an exclusive group needs exclusivity off for a moment.
        self.group.setExclusive(False)
        for button in self.buttons.values():
            button.setChecked(False)
        self.group.setExclusive(True)

    @Slot()
    def _toggled(self) -> None:
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.mode() is not None


class FiltersPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Which customers to sync")
        self.setSubTitle("Customers left out are counted in the preview with the reason.")
        layout = QVBoxLayout(self)
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
