"""The closed set of types an audit event's details may hold.

An event says *that* something happened, with names, counts, hashes and parameters; a cell value
has no type here to live in. Each event kind declares its detail fields (``FIELDS``) with one of
these types, and an event checks its details when it is built: an undeclared field, or a value
of the wrong type (a string where a count is declared, free text where a hash is), is a bug in
Bulle and raises ``TypeError`` before anything reaches the log.

A :data:`Name` is an identifier from the catalog (a dataset, column, project or purpose name, a
path inside the workspace, an error code); the type is what the emitting code vouches for, and
reviewers read the field declarations, not every call site. Hashes, references, timestamps,
enumerations and numbers are checked by their shape, so a value that is not one cannot pass.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

MAX_TEXT = 4096  # a purpose or project description: custodian prose, bounded


class FieldType:
    """A detail type: ``problem`` says why a value does not fit (None when it does)."""

    label = "value"

    def problem(self, value: Any) -> str | None:  # pragma: no cover - every type overrides it
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.label


class _Count(FieldType):
    label = "count"

    def problem(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"expected a count (an int >= 0), got {type(value).__name__}"
        return None


class _Number(FieldType):
    label = "number"

    def problem(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {type(value).__name__}"
        return None


class _Flag(FieldType):
    label = "flag"

    def problem(self, value: Any) -> str | None:
        return (
            None if isinstance(value, bool) else f"expected a boolean, got {type(value).__name__}"
        )


class _Name(FieldType):
    """An identifier from the catalog: a string, never longer than an audit event may be."""

    label = "name"

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return f"expected a name, got {type(value).__name__}"
        if len(value) > 65_536:
            return "a name longer than an audit event may be"
        return None


class _Text(FieldType):
    """A description written by the custodian into the catalog (a purpose's, a project's)."""

    label = "description"

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return f"expected a description, got {type(value).__name__}"
        return f"a description longer than {MAX_TEXT} characters" if len(value) > MAX_TEXT else None


class Pattern(FieldType):
    """A string of a fixed shape (a hex digest, a version reference, a receipt id)."""

    def __init__(self, label: str, regex: str) -> None:
        self.label = label
        self.regex = re.compile(regex)

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, str) or not self.regex.fullmatch(value):
            return f"expected a {self.label}"
        return None


class _Time(FieldType):
    label = "timestamp"

    def problem(self, value: Any) -> str | None:
        try:
            dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return "expected an ISO-8601 timestamp"
        return None


class Enum(FieldType):
    """One of a closed set of strings."""

    def __init__(self, *values: str) -> None:
        self.values = frozenset(values)
        self.label = "one of " + ", ".join(sorted(values))

    def problem(self, value: Any) -> str | None:
        return None if value in self.values else f"expected {self.label}"


class Optional(FieldType):
    def __init__(self, inner: FieldType) -> None:
        self.inner = inner
        self.label = f"{inner.label} or null"

    def problem(self, value: Any) -> str | None:
        return None if value is None else self.inner.problem(value)


class OneOf(FieldType):
    def __init__(self, *types: FieldType) -> None:
        self.types = types
        self.label = " or ".join(t.label for t in types)

    def problem(self, value: Any) -> str | None:
        problems = [t.problem(value) for t in self.types]
        return None if any(p is None for p in problems) else f"expected {self.label}"


class ListOf(FieldType):
    def __init__(self, inner: FieldType) -> None:
        self.inner = inner
        self.label = f"list of {inner.label}"

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, list | tuple):
            return f"expected a {self.label}, got {type(value).__name__}"
        for i, item in enumerate(value):
            p = self.inner.problem(item)
            if p:
                return f"[{i}]: {p}"
        return None


class MapOf(FieldType):
    """A mapping from names (columns, roles, kinds) to values of one type."""

    def __init__(self, inner: FieldType) -> None:
        self.inner = inner
        self.label = f"map of name to {inner.label}"

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, Mapping):
            return f"expected a {self.label}, got {type(value).__name__}"
        for k, item in value.items():
            p = Name.problem(k) or self.inner.problem(item)
            if p:
                return f"[{k!r}]: {p}"
        return None


class Record(FieldType):
    """A nested object with declared fields (an actor, a dataset use, a model spec)."""

    def __init__(
        self, label: str, fields: Mapping[str, FieldType], *, extra: FieldType | None = None
    ) -> None:
        self.label = label
        self.fields = dict(fields)
        self.extra = extra  # the type of any further field (a model's parameters), or None: refused

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, Mapping):
            return f"expected a {self.label}, got {type(value).__name__}"
        return check_fields(self.fields, value, self.extra)


def check_fields(
    fields: Mapping[str, FieldType], values: Mapping[str, Any], extra: FieldType | None = None
) -> str | None:
    """The first problem of ``values`` against the declared ``fields`` (None: they fit)."""
    for key, value in values.items():
        t = fields.get(key, extra)
        if t is None:
            return f"undeclared field {key!r}"
        if not isinstance(key, str):
            return f"field name {key!r} is not a string"
        p = t.problem(value)
        if p:
            return f"field {key!r}: {p}"
    return None


Count = _Count()
Number = _Number()
Flag = _Flag()
Name = _Name()
Text = _Text()
Time = _Time()
Hex = Pattern("hex digest", r"(sha256:)?[0-9a-f]{8,128}")
Ref = Pattern("version reference NAME@N", r"[A-Za-z][A-Za-z0-9_.-]{0,127}@[0-9]{1,18}")
SubjectRef = Pattern("subject reference", r"subj_[0-9a-f]{24}")
ReceiptId = Pattern("erasure receipt id", r"erasure-[0-9a-f]{32}")
UnlearningId = Pattern("unlearning receipt id", r"unlearn-[0-9a-f]{32}")
Scalar = OneOf(Number, Flag, Name)
Param = OneOf(Number, Flag, Name, ListOf(OneOf(Number, Flag, Name)))
ActorRecord = Record("actor", {"name": Name, "role": Name})
ModelSpec = Record("model spec", {"model": Name, "attribute": Name}, extra=Optional(Param))
