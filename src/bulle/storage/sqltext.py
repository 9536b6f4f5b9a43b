"""Quoting for the SQL text Bulle builds: one place, so that every name and path is quoted alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def lit(value: Any | Path) -> str:
    """A SQL string literal (paths included)."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier (column and table names come from users' files)."""
    return '"' + name.replace('"', '""') + '"'
