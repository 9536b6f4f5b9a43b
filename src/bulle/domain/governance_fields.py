"""Field checks shared by the governance objects (purposes, consents, projects).

Governance objects are built from user input (CLI options, JSON files, an export being
re-imported), so each constructor collects *every* problem before raising one ValidationError: a
custodian fixing a project file should see all mistakes at once, not one per attempt. Instants are
normalised to UTC because consent and validity decisions compare them across sources; a naive
datetime is refused rather than guessed, since guessing the zone would move a withdrawal by hours.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from bulle.errors import Problem, ValidationError, Where

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_SUBJECT_ID = 256

E = TypeVar("E", bound=StrEnum)


class Checker:
    """Collects problems for one object; ``done`` raises them together."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.problems: list[Problem] = []

    def add(self, message: str, field: str) -> None:
        self.problems.append(Problem(message, Where(field=field)))

    def name(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not NAME_RE.match(value):
            self.add(
                f"{value!r} is not a valid name (1-128 characters: letters, digits, '.', '_', '-', "
                "starting with a letter or digit)",
                field,
            )
        return value

    def text(self, value: Any, field: str, *, required: bool = True) -> str:
        if not isinstance(value, str):
            self.add(f"expected text, got {type(value).__name__}", field)
            return ""
        if required and not value.strip():
            self.add("must not be empty", field)
        return value

    def subject_id(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not value or value != value.strip():
            self.add(
                f"{value!r} is not a valid subject id (non-empty text without surrounding spaces)",
                field,
            )
        elif len(value) > MAX_SUBJECT_ID:
            self.add(f"subject id longer than {MAX_SUBJECT_ID} characters", field)
        return value

    def instant(self, value: Any, field: str, *, required: bool = True) -> dt.datetime | None:
        """An aware datetime (or ISO 8601 text with an offset), returned in UTC."""
        if value is None:
            if required:
                self.add("a date and time is required", field)
            return None
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError:
                self.add(f"{value!r} is not an ISO 8601 date and time", field)
                return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            self.add("a date and time with a time zone is required, not a bare date", field)
            return None
        if not isinstance(value, dt.datetime):
            self.add(f"expected a date and time, got {type(value).__name__}", field)
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            self.add("the date and time needs a time zone (e.g. +00:00)", field)
            return None
        return value.astimezone(dt.UTC)

    def enum(self, cls: type[E], value: Any, field: str, *, required: bool = True) -> E | None:
        if value is None and not required:
            return None
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            self.add(f"{value!r} is not one of: {allowed}", field)
            return None

    def names(self, values: Any, field: str) -> tuple[str, ...]:
        """A collection of names, in the given order, duplicates reported."""
        if isinstance(values, str) or not isinstance(values, Iterable):
            self.add("expected a list of names", field)
            return ()
        out: list[str] = []
        seen: set[str] = set()
        for i, v in enumerate(values):
            self.name(v, f"{field}[{i}]")
            if v in seen:
                self.add(f"{v!r} is listed twice", f"{field}[{i}]")
            else:
                seen.add(v)
                out.append(v)
        return tuple(out)

    def done(self) -> None:
        if self.problems:
            raise ValidationError.from_problems(self.what, self.problems)


def iso(value: dt.datetime | None) -> str | None:
    """The stored form of an instant: ISO 8601 in UTC with microseconds (stable across exports)."""
    return None if value is None else value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def set_fields(obj: object, **values: Any) -> None:
    """Store normalised values on a frozen dataclass from its ``__post_init__``."""
    for key, value in values.items():
        object.__setattr__(obj, key, value)
