"""The base of the window's read-only tables: rows of one record type, shown through column definitions.

A subclass declares `columns` and fills the rows with `set_rows()` (a plain list: runs, failures) or grows
them with `insert_rows()` (the audit log's keyset pages); `data()` and `headerData()` come from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

Row = TypeVar("Row")
Index = QModelIndex | QPersistentModelIndex

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True, slots=True)
class Column(Generic[Row]):
    title: str
    text: Callable[[Row], str]
    # The text again on hover, for cells too narrow to show it all; or a longer text of its own.
    tooltip: bool | Callable[[Row], str] = True
    color: Callable[[Row], QColor | None] | None = None  # the text's colour, if it depends on the row
    align_right: bool = False  # amounts


class RowTableModel(QAbstractTableModel, Generic[Row]):
    columns: ClassVar[Sequence[Column[Any]]] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def set_rows(self, rows: Iterable[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def insert_rows(self, position: int, rows: Sequence[Row]) -> None:
        if rows:
            self.beginInsertRows(QModelIndex(), position, position + len(rows) - 1)
            self._rows[position:position] = rows
            self.endInsertRows()

    # -- Qt ------------------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY:
            return self.columns[section].title
        return None

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        column = self.columns[index.column()]
        if role == _DISPLAY or (role == _TOOLTIP and column.tooltip is True):
            return column.text(self._rows[index.row()])
        if role == _TOOLTIP and callable(column.tooltip):
            return column.tooltip(self._rows[index.row()])
        if role == _FOREGROUND and column.color is not None:
            return column.color(self._rows[index.row()])
        if role == _ALIGN and column.align_right:
            return _RIGHT
        return None

    # -- copying -------------------------------------------------------------------------------------------
    def rows_as_text(self, rows: Iterable[int]) -> str:
        """The rows as a person sees them, tab-separated under a header line (pastes into a spreadsheet)."""
        lines = ["\t".join(c.title for c in self.columns)]
        for r in rows:
            cells = (c.text(self._rows[r]) for c in self.columns)
            lines.append("\t".join(" ".join(cell.split()) for cell in cells))  # no tab or line break inside
        return "\n".join(lines) + "\n"
