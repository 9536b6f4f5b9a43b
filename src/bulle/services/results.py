"""The base of every typed result a service returns.

A result is a frozen dataclass whose ``to_dict()`` is its plain field mapping (``dataclasses.asdict``:
no renames, no computed keys), so an interface's schema (the CLI's ``--json``, later the HTTP API's
bodies) is read off the class, and what a service returns is what a client receives.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Result:
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def result_types() -> list[type[Result]]:
    """Every result class defined by the services (for the tests that hold them to the rule)."""
    import importlib
    import pkgutil

    import bulle.services as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"bulle.services.{info.name}")
    out: list[type[Result]] = []
    todo = list(Result.__subclasses__())
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo += cls.__subclasses__()
    return sorted(out, key=lambda c: c.__qualname__)
