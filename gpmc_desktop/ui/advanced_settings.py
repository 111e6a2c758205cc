"""Advanced settings: every profile key the schema marks ADVANCED, as a form built from the schema itself, so a
key added to the schema appears here with its label, rule and default without a line of UI code.

The wizard opens it on the GP page (before the connection check: a Kerberos server name can decide whether
sign-in works); the settings dialog opens it for a saved profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gpmc_desktop.profile.schema import KEYS, Key, Kind, Level, form_problem
from gpmc_desktop.ui.colours import colours

SECTION_TITLES = {"gp": "Dynamics GP", "mailchimp": "Mailchimp", "filters": "Which customers", "profile": "Profile",
                  "mapping": "GP fields in Mailchimp",
                  "sync": "Safety"}
ADVANCED_KEYS: tuple[Key, ...] = tuple(k for k in KEYS if k.level is Level.ADVANCED)

Document = dict[str, dict[str, Any]]


def _field(k: Key, parent: QWidget) -> QWidget:
    if k.kind is Kind.BOOL:
        return QCheckBox(parent)
    if k.kind is Kind.CHOICE:
        box = QComboBox(parent)
        box.addItems(list(k.choices))
        return box
    if k.kind is Kind.INTEGER:
        spin = QSpinBox(parent)
        spin.setRange(int(k.minimum if k.minimum is not None else -(2**31)),
                      int(k.maximum if k.maximum is not None else 2**31 - 1))
        return spin
    if k.kind is Kind.NUMBER:
        number = QDoubleSpinBox(parent)
        number.setDecimals(1)
        number.setRange(k.minimum if k.minimum is not None else -1e9, k.maximum if k.maximum is not None else 1e9)
        return number
    line = QLineEdit(parent)
    line.setPlaceholderText("not set" if k.default is None else f"default: {k.default}")
    return line


def _read(k: Key, widget: QWidget) -> Any:
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.value()
    assert isinstance(widget, QLineEdit)
    return widget.text().strip() or None


def _write(k: Key, widget: QWidget, value: Any) -> None:
    if value is None:
        value = k.default
    if isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QComboBox):
        widget.setCurrentText(str(value))
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    elif isinstance(widget, QDoubleSpinBox):
        widget.setValue(float(value))
    elif isinstance(widget, QLineEdit):
        widget.setText("" if value is None else str(value))


class AdvancedSettingsDialog(QDialog):
    """Edits the ADVANCED keys of a profile document; `values()` gives them back as document sections
    (``None`` for a key left unset), validated by the schema's own rules."""

    def __init__(self, document: Mapping[str, Mapping[str, Any]], parent: QWidget | None = None,
                 *, title: str = "Advanced settings") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.fields: dict[tuple[str, str], QWidget] = {}
        layout = QVBoxLayout(self)
        intro = QLabel("Most profiles never need these. Leave a field empty, or at its default, unless IT asks "
                       "for something else.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        for section in dict.fromkeys(k.section for k in ADVANCED_KEYS):
            box = QGroupBox(SECTION_TITLES.get(section, section), self)
            form = QFormLayout(box)
            for k in ADVANCED_KEYS:
                if k.section != section:
                    continue
                widget = _field(k, box)
                widget.setObjectName(f"{k.section}.{k.name}")
                widget.setToolTip(f"{k.help} ([{k.section}] {k.name} in a profile file)")
                _write(k, widget, document.get(section, {}).get(k.name))
                form.addRow(f"{k.label}:", widget)
                self.fields[(k.section, k.name)] = widget
            layout.addWidget(box)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(colours(self).error_style())  # readable on a light and a dark palette
        self.problem.hide()
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        layout.addWidget(buttons)

    def widget(self, section: str, name: str) -> QWidget:
        return self.fields[(section, name)]

    def restore_defaults(self) -> None:
        for k in ADVANCED_KEYS:
            _write(k, self.fields[(k.section, k.name)], None)

    def values(self) -> Document:
        """Every advanced key's value; ``None`` where it is unset or at its default, so the document stays
        sparse and a later change of a default reaches it."""
        doc: Document = {}
        for k in ADVANCED_KEYS:
            value = _read(k, self.fields[(k.section, k.name)])
            doc.setdefault(k.section, {})[k.name] = None if value == k.default else value
        return doc

    def problems(self) -> list[str]:
        found = []
        for k in ADVANCED_KEYS:
            problem = form_problem(k, _read(k, self.fields[(k.section, k.name)]))
            if problem:
                found.append(problem)
        return found

    def accept(self) -> None:
        problems = self.problems()
        if problems:
            self.problem.setText("\n".join(problems))
            self.problem.show()
            return
        super().accept()
