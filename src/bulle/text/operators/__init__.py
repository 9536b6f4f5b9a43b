"""Operators that replace detected entities, one per module, registered by name.

Each operator gives, for one document, the replacement of every entity; the replacement itself
is done by Presidio's anonymizer (``bulle.text.operators.base.apply``), which Bulle hosts its own
operators in as custom operators.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from bulle.errors import InputError

BUILTIN_MODULES = ("redact", "mask", "placeholder", "pseudonym", "shift_dates")
_OPERATORS: dict[str, Any] = {}
_loaded = False


def register_operator(name: str) -> Callable[[type], type]:
    def deco(cls: type) -> type:
        _OPERATORS[name] = cls
        cls.name = name
        return cls

    return deco


def _load() -> None:
    global _loaded
    if not _loaded:
        for m in BUILTIN_MODULES:
            importlib.import_module(f"bulle.text.operators.{m}")
        _loaded = True


def names() -> list[str]:
    _load()
    return sorted(_OPERATORS)


def get_operator(name: str):
    _load()
    cls = _OPERATORS.get(name)
    if cls is None:
        raise InputError(f"unknown operator {name!r}; known: {', '.join(sorted(_OPERATORS))}")
    return cls()
