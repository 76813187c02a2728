"""CSV files for coordinators (members, reports): one way to write them.

UTF-8 with a byte-order mark, so that Excel shows Cyrillic names correctly. Spreadsheets run a
cell that starts with = + - @ (or a tab or carriage return) as a formula, which can fetch a
web address and carry the sheet's contents to it: such a text is kept text by a leading
apostrophe. Phone numbers are written one way in every export (`phone`): a plus and the
digits, which the same rule keeps as text: '+996700123456.

Files are for the coordinator who asked for them: column names and values (regions,
categories, statuses, yes/no) in her language, dates as `bot.i18n.export_datetime` writes them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def phone(value: str | None) -> str | None:
    """A phone number as every export writes it: "+" and its digits ("+996 700 123-456" and
    "996700123456", as Telegram may give a shared contact, are both "+996700123456")."""
    if not value:
        return None
    digits = "".join(ch for ch in value if ch.isdigit())
    return "+" + digits if digits else value


def cell(value: object) -> str:
    """A cell's text: empty for None, numbers as they are, texts kept from running."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class CsvFile:
    """A file written a few rows at a time (a big export, as its rows are decrypted), held as
    UTF-8 bytes as it goes: once, not also as text."""

    def __init__(self, columns: Sequence[str]) -> None:
        self._out = io.BytesIO()
        self._text = io.TextIOWrapper(self._out, encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._text)
        self._writer.writerow(columns)

    def add(self, rows: Iterable[Sequence[object]]) -> None:
        self._writer.writerows([cell(value) for value in row] for row in rows)

    def data(self) -> bytes:
        self._text.flush()
        return self._out.getvalue()


def csv_file(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """The whole file: a header of column names, then one line per row."""
    file = CsvFile(columns)
    file.add(rows)
    return file.data()
