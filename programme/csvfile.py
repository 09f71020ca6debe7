"""Reading the CSV files libraries send (libraries, monthly figures, survey answers). Pure.

Excel in a Russian Windows saves CSV as windows-1251 with ``;`` between cells; LibreOffice and
Google Sheets as UTF-8 (with or without a BOM) with ``,``. Both are read: the bytes go through the
project's one decoder (:func:`ecitizen.textcodec.choose_encoding`), the separator is the one of
``;``, ``,`` and tab that splits the header line into the most cells. Header names are compared in
lower case with ``ё`` as ``е`` and spaces squeezed, so «Код», «код » and «КОД» are the same column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ecitizen.programme.errors import Problem, RefusedError
from ecitizen.textcodec import choose_encoding


@dataclass(frozen=True)
class SkippedLine:
    """A line of an imported file that was not used, and why (Russian)."""

    line: int
    reason: str

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason}

    def __str__(self) -> str:
        return f"строка {self.line}: {self.reason}"


@dataclass(frozen=True)
class Row:
    #: the line number in the file (the header is line 1)
    line: int
    #: canonical column name -> the cell's text (stripped); only the known columns
    cells: dict[str, str]
    #: cells under headers that are not canonical columns (figures: measure names), by header text
    extra: dict[str, str]


@dataclass(frozen=True)
class Table:
    rows: tuple[Row, ...]
    #: the canonical columns the header has
    columns: frozenset[str]
    #: headers that matched no canonical column, as written
    extra_headers: tuple[str, ...]


def decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    return data.decode(choose_encoding(data), errors="replace").lstrip("\ufeff")


def norm_header(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip('"').lower().replace("ё", "е"))


def _delimiter(first_line: str) -> str:
    return max((";", ",", "\t"), key=lambda d: len(first_line.split(d)))


def read_table(data: bytes | str, columns: Mapping[str, frozenset[str]]) -> Table:
    """Split a CSV file into rows of known columns. ``columns`` maps a canonical name to the
    header names (normalised) that mean it. Fully empty lines are left out silently (a template's
    unfilled rows); a header naming one column twice is refused."""
    text = decode(data)
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise RefusedError([Problem("файл", "файл пустой")])
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
    header: list[str] | None = None
    mapping: list[str | None] = []
    extra_headers: list[str] = []
    rows: list[Row] = []
    for record in reader:
        line = reader.line_num
        if header is None:
            if not any(c.strip() for c in record):
                continue
            header = record
            seen: dict[str, str] = {}
            for cell in record:
                key = norm_header(cell)
                name = next((c for c, names in columns.items() if key == c or key in names), None)
                if name is not None:
                    if name in seen:
                        raise RefusedError([Problem("заголовок", f"столбцы «{seen[name]}» и «{cell.strip()}» "
                                                                 "означают одно и то же")])
                    seen[name] = cell.strip()
                elif key:
                    extra_headers.append(cell.strip())
                mapping.append(name)
            continue
        if not any(c.strip() for c in record):
            continue
        cells: dict[str, str] = {}
        extra: dict[str, str] = {}
        for i, cell in enumerate(record):
            if i >= len(header):
                if cell.strip():
                    extra[f"столбец {i + 1}"] = cell.strip()
                continue
            name = mapping[i]
            if name is not None:
                cells[name] = cell.strip()
            elif header[i].strip():
                extra[header[i].strip()] = cell.strip()
        rows.append(Row(line, cells, extra))
    present = frozenset(n for n in mapping if n is not None)
    return Table(tuple(rows), present, tuple(extra_headers))


def parse_bool(text: str) -> bool | None:
    """``да``/``нет`` and friends; ``None`` for an empty cell. Raises ValueError for anything else."""
    key = norm_header(text)
    if not key:
        return None
    if key in {"да", "д", "yes", "y", "true", "1", "+", "есть", "цпи", "x", "х", "v"}:
        return True
    if key in {"нет", "н", "no", "n", "false", "0", "-", "—"}:
        return False
    raise ValueError(text)


def write_csv(header: list[str], rows: list[list[str]]) -> str:
    """UTF-8 CSV with ``;`` (opens in a Russian Excel by double-click when saved with a BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
