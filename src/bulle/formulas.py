"""Spreadsheet formulas in CSV outputs: neutralised by default (CSV injection).

A CSV written by Bulle is often opened in a spreadsheet. A cell whose text starts with ``=``,
``+``, ``-`` or ``@`` (or a tab or a carriage return, which some spreadsheets skip before reading
a formula) is then run as a formula: a value planted in a patient's record (``=HYPERLINK(...)``,
``=cmd|...``) would run on the custodian's or analyst's machine. Following OWASP, every CSV
output of a table of users' values (``export-table``, ``anonymize --output``, ``read``/``query
--output``) prefixes such a cell with a single quote, which spreadsheets show as text, and so
are column names in the header.

Not changed: numbers. Numeric columns are written as numbers, and a text cell that is a plain
decimal number (``-5``, ``+33612345678``, ``1e-3``) is read by a spreadsheet as that number,
never as a formula, so it is kept as it is. ``--keep-formulas`` writes every cell verbatim, for a
reader that is not a spreadsheet. Parquet and JSON Lines outputs are never changed.
"""

from __future__ import annotations

import re
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_PLAIN = re.compile(PLAIN_NUMBER + r"\Z")


def is_formula(text: str) -> bool:
    return text.startswith(TRIGGERS) and not _PLAIN.match(text)


def neutralize(text: str) -> str:
    return "'" + text if is_formula(text) else text


def arrow_table(table: Any) -> Any:
    """The Arrow table with every string cell and column name neutralised."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            hit = pc.and_(
                pc.match_substring_regex(col, r"^[=+\-@\t\r]"),
                pc.invert(pc.match_substring_regex(col, "^" + PLAIN_NUMBER + "$")),
            )
            col = pc.if_else(hit, pc.binary_join_element_wise("'", col, ""), col)
        columns.append(col)
    return pa.table(columns, names=[neutralize(n) for n in table.column_names])
