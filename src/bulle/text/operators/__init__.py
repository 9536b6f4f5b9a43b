"""Operators that replace detected entities, one per module, registered by name.

Each operator gives, for one document, the replacement of every entity; the replacement itself
is done by Presidio's anonymizer (``bulle.text.operators.base.apply``), which Bulle hosts its own
operators in as custom operators. Operators live in :data:`OPERATORS` (entry-point group
``bulle.operators``): a plug-in operator is a class with the same ``apply`` method.
"""

from __future__ import annotations

from collections.abc import Callable

from bulle.errors import InputError, NotFoundError, Where
from bulle.registry import Registry

BUILTIN_MODULES = ("redact", "mask", "placeholder", "pseudonym", "shift_dates")

OPERATORS: Registry[type] = Registry(
    "operators", "operator", tuple(f"bulle.text.operators.{m}" for m in BUILTIN_MODULES)
)


def register_operator(name: str) -> Callable[[type], type]:
    def deco(cls: type) -> type:
        cls.name = name
        return OPERATORS.register(name)(cls)

    return deco


def names() -> list[str]:
    return sorted(OPERATORS.names())


def get_operator(name: str):
    """An instance of the operator registered under ``name``; an unknown name is bad input."""
    try:
        cls = OPERATORS.get(name)
    except NotFoundError as exc:
        raise InputError(exc.message, Where(field="--operator")) from None
    return cls()
