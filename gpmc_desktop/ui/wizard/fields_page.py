"""Where each GP customer field goes in Mailchimp (the profile's [mapping]): one row per field with what this
company's customers hold in it (from the GP check's sample) and a choice of "Not sent", its audience field or
tags.  The preview page then counts the contacts each mapped field reaches."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from gpmc_desktop.profile import ConfigError, FieldMapping, schema
from gpmc_desktop.sync import field_targets
from gpmc_desktop.sync.check import CompanySample, GPFacts, StageResult, run_gp
from gpmc_desktop.sync.field_targets import FieldTarget
from gpmc_desktop.ui.background import Task
from gpmc_desktop.ui.wizard.background import crash_text
from gpmc_desktop.ui.wizard.base import Page, hint

ALWAYS_SENT = ("Name, company, address, phone and the GP customer number always go, to the audience fields FNAME, "
               "LNAME, COMPANY, ADDRESS, PHONE and GPCUSTNO.")
ABOUT = ("An audience field is created on the first sync (most Mailchimp plans allow 30 fields in an audience). "
         "Tags are one per value; a value GP no longer holds has its tag removed, and tags people add in "
         "Mailchimp are never touched. Changing where a field goes later sends only the contacts that hold a "
         "value in it.")
SHOWN_VALUES = 3
ORDER_LINE_CHOICES = {"sales_invoices": "the items sold, from GP's sales invoices",
                      "receivables": "one line at the invoice total"}
ORDER_LINES_ABOUT = ("Items sold show which products each customer buys. They come from the sales invoice (Sales "
                     "Order Processing) behind each receivables invoice (GP Web Services, or an SBA server that "
                     "lists its sales invoices); an invoice without one, or whose lines do not add up to it, keeps "
                     "one line. The order's total is always "
                     "the GP invoice's.")


def choice_texts(target: FieldTarget) -> dict[str, str]:
    """The words of each choice for *target*, in the schema's order of values (short: three columns share the
    page's width on a 1366×768 screen at 125%)."""
    return {field_targets.OFF: "Not sent",
            field_targets.MERGE_FIELD: f"Audience field {target.merge_tag}",
            field_targets.TAGS: f"Tags \u201c{target.tag_prefix}\u2026\u201d"}


def held_text(values: dict[str, int], sampled: int, total: int) -> str:
    """What the sampled customers hold: "52 of 60 customers: ERIN J. (14), MARCUS L. (12), … (6 values)"."""
    if not sampled:
        return "not read yet"
    holders = sum(values.values())
    among = f"of the first {sampled} read" if sampled < total else f"of {total}"
    if not holders:
        return f"none {among} customers"
    shown = ", ".join(f"{v} ({n})" for v, n in list(values.items())[:SHOWN_VALUES])
    more = f", \u2026 ({len(values)} values)" if len(values) > SHOWN_VALUES else ""
    return f"{holders} {among} customers: {shown}{more}"


class FieldsPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("GP fields in Mailchimp")
        self.setSubTitle("Choose where each GP customer field goes, to segment your contacts by it in Mailchimp.")
        layout = self.body_layout()
        layout.addWidget(hint(ALWAYS_SENT, self))
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        for column, title in enumerate(("GP field", "What the customers hold", "In Mailchimp")):
            heading = QLabel(f"<b>{title}</b>", self)
            heading.setWordWrap(True)
            grid.addWidget(heading, 0, column)
        self.choices: dict[str, QComboBox] = {}
        self.held: dict[str, QLabel] = {}
        for row, target in enumerate(field_targets.TARGETS, start=1):
            label = QLabel(target.label, self)
            held = QLabel("", self)
            held.setWordWrap(True)
            held.setMinimumWidth(120)  # wraps rather than widening the page past a small screen
            box = QComboBox(self)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(22)
            box.setObjectName(f"mapping_{target.key}")
            label.setBuddy(box)
            grid.addWidget(label, row, 0)
            grid.addWidget(held, row, 1)
            grid.addWidget(box, row, 2)
            self.choices[target.key], self.held[target.key] = box, held
            for value, text in choice_texts(target).items():
                box.addItem(text, value)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        # A saved profile opened here has no sample yet (its connection checks count as passed): read one.
        read_row = QHBoxLayout()
        self.read_button = QPushButton("Read the values from GP", self)
        self.read_button.setAutoDefault(False)
        self.read_button.clicked.connect(self.read_sample)
        self.read_status = hint("", self)
        read_row.addWidget(self.read_button)
        read_row.addWidget(self.read_status, 1)
        layout.addLayout(read_row)
        layout.addWidget(hint(ABOUT, self))
        layout.addSpacing(8)
        # What each order's lines are (the profile's [gp] order_lines).
        lines_row = QHBoxLayout()
        self.lines_choice = QComboBox(self)
        self.lines_choice.setObjectName("order_lines")
        for value, text in ORDER_LINE_CHOICES.items():
            self.lines_choice.addItem(text, value)
        lines_label = QLabel("Each invoice's order in Mailchimp:", self)
        lines_label.setBuddy(self.lines_choice)
        lines_row.addWidget(lines_label)
        lines_row.addWidget(self.lines_choice, 1)
        layout.addLayout(lines_row)
        layout.addWidget(hint(ORDER_LINES_ABOUT, self))
        self.set_order_lines(schema.key("gp", "order_lines").initial)
        self._job: Task | None = None
        self.set_mapping({k.name: k.initial for k in schema.section_keys("mapping")})  # a new profile's places
        layout.addStretch(1)

    def initializePage(self) -> None:
        self.show_sample(self.setup_wizard().sample)

    @Slot()
    def read_sample(self) -> None:
        """Read the company's customers as the GP check's sample stage does, off the GUI thread."""
        wizard = self.setup_wizard()
        try:
            settings = wizard.company_page.settings()
        except ConfigError as err:
            self.read_status.setText(f"Check the GP pages first: {err}")
            return
        password = wizard.gp_page.password.text()

        def work(_item: Any) -> tuple[GPFacts | None, list[StageResult]]:
            results: list[StageResult] = []
            return run_gp(settings, password, results.append, until="sample"), results

        self.read_button.setEnabled(False)
        self.read_status.setText("Reading the company's customers from GP…")
        self._job = wizard.background.start(work, name="wizard fields sample", on_result=self._read,
                                            on_error=self._crashed, on_finished=self._read_finished)

    def _read(self, answer: tuple[GPFacts | None, list[StageResult]]) -> None:
        facts, results = answer
        if facts is None or facts.sample is None:
            failed = next((r for r in results if not r.ok), None)
            self.read_status.setText(failed.message if failed else "GP did not answer: try again.")
            return
        self.setup_wizard().sample = facts.sample
        self.read_status.setText("")
        self.show_sample(facts.sample)

    def _crashed(self, error: str) -> None:
        self.read_status.setText(crash_text(error))

    def _read_finished(self) -> None:
        self._job = None
        self.read_button.setEnabled(True)

    def running(self) -> bool:
        return self._job is not None and self._job.active()

    def show_sample(self, sample: CompanySample | None) -> None:
        """What the GP check's sample found in each field, and its commonest value as the tags' example."""
        for target in field_targets.TARGETS:
            if sample is None:
                values: dict[str, int] = {}
                sampled = total = 0
            elif target is field_targets.CLASS:  # the class is listed for every customer
                values, sampled, total = sample.classes, sample.customers, sample.customers
            else:
                values, sampled, total = sample.fields.get(target.key, {}), sample.sampled, sample.customers
            self.held[target.key].setText(held_text(values, sampled, total))
            example = next(iter(values), "")
            self.choices[target.key].setItemData(
                self.choices[target.key].findData(field_targets.TAGS),
                f"Each value its own tag, like \u201c{target.tag(example or 'value')}\u201d",
                Qt.ItemDataRole.ToolTipRole)
        self.read_button.setText("Read the values from GP" if sample is None else "Read again")

    def set_mapping(self, mapping: dict[str, str]) -> None:
        """Select each field's place (a document's [mapping] values, every key present)."""
        for key, box in self.choices.items():
            box.setCurrentIndex(max(box.findData(mapping[key]), 0))

    def values(self) -> dict[str, Any]:
        """This page's keys as a profile document has them."""
        return {key: str(box.currentData()) for key, box in self.choices.items()}

    def set_order_lines(self, value: str) -> None:
        self.lines_choice.setCurrentIndex(max(self.lines_choice.findData(value), 0))

    def order_lines(self) -> str:
        return str(self.lines_choice.currentData())

    def mapping(self) -> FieldMapping:
        return FieldMapping(**self.values())
