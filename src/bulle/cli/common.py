"""Shared option decorators and rendering helpers for CLI commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from bulle.errors import UserError


def json_option(f: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")(
        f
    )


def emit(payload: Any, as_json: bool, render: Callable[[dict[str, Any]], None]) -> None:
    """Print a command's result (a service's typed result, or a mapping): one JSON object, or the
    human rendering of its plain mapping."""
    if hasattr(payload, "to_dict"):
        payload = payload.to_dict()
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
    else:
        render(payload)


def actor_from(ctx: click.Context):
    from bulle.domain.actor import Actor

    obj = ctx.find_root().obj or {}
    return Actor.from_cli(obj.get("user"), obj.get("role") or "custodian")


def workspace_from(ctx: click.Context):
    """Open the workspace named by --workspace (or BULLE_WORKSPACE)."""
    from bulle.workspace import Workspace

    obj = ctx.find_root().obj or {}
    path = obj.get("workspace")
    if not path:
        raise UserError(
            "no workspace given: use `bulle --workspace DIR ...` or set BULLE_WORKSPACE"
        )
    return Workspace.open(path, actor=actor_from(ctx))


def console():
    from rich.console import Console

    probe = Console()
    return Console(highlight=False, width=None if probe.is_terminal else 120)


class RegistryChoice(click.Choice):
    """A click choice whose values are the names in a registry, read when first needed.

    ``target`` is ``module:attribute`` of the :class:`bulle.registry.Registry`, imported lazily so
    that building the command (and ``bulle --help``) imports no extension; a plug-in's name is
    accepted exactly like a built-in's.
    """

    def __init__(self, target: str, exclude: tuple[str, ...] = ()):
        self._target = target
        self._exclude = exclude
        super().__init__((), case_sensitive=True)

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        import importlib

        module, attr = self._target.split(":")
        registry = getattr(importlib.import_module(module), attr)
        return tuple(n for n in registry.names() if n not in self._exclude)

    @choices.setter
    def choices(self, value: Any) -> None:
        """click.Choice assigns its choices at construction: ours come from the registry."""
