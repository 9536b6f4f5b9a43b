"""A workspace's settings: listed with where each value comes from, changed by the custodian.

The table and the rules of resolution are :mod:`bulle.settings`; this module does the I/O: it
rewrites the ``[settings]`` table of ``bulle.toml`` (atomically, keeping every other line of the
file as it was) and records the change as a ``settings.change`` audit event. Settings are
parameters, never personal data, so the event holds the old and new value.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bulle import settings as table
from bulle.audit.events import SettingChanged
from bulle.errors import AccessDenied, ConflictError, NotFoundError, ValidationError, Where
from bulle.fsutil import atomic_write_text
from bulle.governance.access import can_change_setting

if TYPE_CHECKING:
    from bulle.workspace import Workspace

CONFIG = "bulle.toml"  # the workspace's configuration file (bulle.workspace.CONFIG)


@dataclass(frozen=True)
class SettingChange:
    """What ``set_setting`` did. ``effective`` is False when an environment variable still wins."""

    name: str
    old: int | float | str
    new: int | float | str
    effective: bool
    source: str  # where the value in force now comes from

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "old": self.old,
            "new": self.new,
            "effective": self.effective,
            "source": self.source,
        }


def list_settings(ws: Workspace) -> list[table.Resolved]:
    """Every setting of the workspace, in the table's order, with its value and source."""
    return ws.settings.rows()


def set_setting(ws: Workspace, name: str, value: str) -> SettingChange:
    """Write ``name = value`` into the workspace's ``bulle.toml``; custodian only, audited.

    ``value`` is text (as typed on a command line) checked against the declaration; the whole
    resulting set of settings is checked too (a default timeout above the ceiling is refused), so
    the file is never left in a state the next opening would refuse.
    """
    setting = table.BY_NAME.get(name)
    if setting is None:
        raise NotFoundError(
            f"unknown setting {name!r} (known: {', '.join(table.BY_NAME)})", Where(field=name)
        )
    decision = can_change_setting(ws.actor, name, setting.changed_by)
    if not decision.allowed:
        raise AccessDenied(decision.reason)
    try:
        new = setting.parse(value)
    except ValueError as exc:
        raise ValidationError(f"{name} {exc}", Where(field=name)) from None
    path = ws.root / CONFIG
    with ws.write_lock():
        text = path.read_text(encoding="utf-8")
        config = tomllib.loads(text)
        file_values = dict(table.flatten(config.get("settings") or {}))
        old = file_values.get(name, setting.default)
        rewritten = rewrite(text, name, new)
        new_config = tomllib.loads(rewritten)
        expected = dict(file_values, **{name: new})
        others = {k: v for k, v in config.items() if k != "settings"}
        if (
            dict(table.flatten(new_config.get("settings") or {})) != expected
            or {k: v for k, v in new_config.items() if k != "settings"} != others
        ):
            raise ConflictError(
                f"the [settings] table of {CONFIG} is written in a form Bulle cannot "
                f"rewrite safely: set {name} by editing the file",
                Where(file=str(path)),
            )
        resolved = table.resolve(new_config.get("settings"), os.environ, file=str(path))
        atomic_write_text(path, rewritten)
    ws.config = new_config
    ws.settings = resolved
    now = resolved.resolved(name)
    ws.emit(
        SettingChanged(
            actor=ws.actor,
            target=f"setting:{name}",
            details={"name": name, "old": old, "new": new, "source": now.source},
        )
    )
    return SettingChange(name, old, new, now.source == "bulle.toml", now.source)


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_HEADER = re.compile(r"^\s*\[\[")
_KEY = re.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="""
)


def _key_name(raw: str) -> str:
    parts = re.findall(r""""[^"]*"|'[^']*'|[A-Za-z0-9_-]+""", raw)
    return ".".join(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def rewrite(text: str, name: str, value: int | float | str) -> str:
    """``text`` with ``name`` set to ``value`` in its ``[settings]`` table, other lines unchanged.

    Every line that sets ``name`` (quoted, dotted or in a ``[settings.x]`` sub-table) is dropped
    and one ``"name" = value`` line is written just under ``[settings]`` (the table is added at
    the end of the file when there is none). The caller parses the result to check it.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    current: str | None = None
    settings_at: int | None = None
    for line in lines:
        if _ARRAY_HEADER.match(line):
            current = None
        elif m := _HEADER.match(line):
            current = _key_name(m.group(1))
            out.append(line)
            if current == "settings" and settings_at is None:
                settings_at = len(out)
            continue
        if (
            current is not None
            and (current == "settings" or current.startswith("settings."))
            and (k := _KEY.match(line))
        ):
            full = f"{current}.{_key_name(k.group(1))}"[len("settings.") :]
            if full == name:
                continue
        out.append(line)
    entry = f"{json.dumps(name)} = {_toml_value(value)}\n"
    if settings_at is not None:
        out.insert(settings_at, entry)
    else:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        if out and out[-1].strip():
            out.append("\n")
        out += ["[settings]\n", entry]
    return "".join(out)


def _toml_value(value: int | float | str) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string for the values settings allow
    return repr(value)
