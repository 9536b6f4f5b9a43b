"""Every output option of every command follows ``bulle.outputs``: a new command that declares an
output with a plain ``click.Path`` fails here."""

from __future__ import annotations

import importlib
import re

import click

from bulle.cli.main import COMMANDS
from bulle.outputs import OutputFile

# outputs that are new directories, not files: each refuses an existing non-empty or non-directory
# path itself (``init``, ``demo``, ``export``, ``import-workspace``, ``model export``, ``backup``)
DIRECTORY_OUTPUTS = {
    ("init", "directory"),
    ("demo", "workspace_dir"),
    ("export", "out_dir"),
    ("import-workspace", "new_dir"),
    ("model export", "output"),
    ("backup", "dest"),
}
# secrets written once, never over anything: `fsutil.write_secret` opens them with O_EXCL, so an
# existing path of any kind (file, device, link) is refused, stricter than the output rules
NEW_SECRET_FILES = {
    ("init", "custodian_key_out"),
    ("import-workspace", "custodian_key_out"),
    ("restore", "custodian_key_out"),
}
# CSV outputs that are not tables of users' values for a spreadsheet: a hierarchy file is read back
# by `anonymize` and must hold the data's values exactly
NOT_FOR_SPREADSHEETS = {"hierarchy build"}


def _commands():
    for name, (target, _) in sorted(COMMANDS.items()):
        module, attr = target.split(":")
        yield from _walk(name, getattr(importlib.import_module(module), attr))


def _walk(name, cmd):
    if isinstance(cmd, click.Group):
        for sub_name, sub in sorted(cmd.commands.items()):
            yield from _walk(f"{name} {sub_name}", sub)
    else:
        yield name, cmd


def _is_output(param: click.Parameter) -> bool:
    """A parameter named like an output: out, output, out_dir, html_out, --html, --report, -o..."""
    for n in {param.name or "", *getattr(param, "opts", [])}:
        words = re.split(r"[-_]", n.lstrip("-").lower())
        if {"out", "output", "outputs", "dest", "destination", "o"} & set(words) or words[0] in (
            "html",
            "report",
            "save",
            "write",
        ):
            return True
    return False


def test_every_output_option_uses_the_output_rules():
    found, bad = [], []
    for name, cmd in _commands():
        for param in cmd.params:
            if not _is_output(param) or (name, param.name) in DIRECTORY_OUTPUTS | NEW_SECRET_FILES:
                continue
            found.append((name, param.name))
            if not isinstance(param.type, OutputFile):
                bad.append(
                    f"{name} {param.name}: {type(param.type).__name__}, not bulle.outputs.OutputFile"
                )
                continue
            csv = param.type.extensions is None or ".csv" in param.type.extensions
            if (
                csv
                and name not in NOT_FOR_SPREADSHEETS
                and "keep_formulas" not in {p.name for p in cmd.params}
            ):
                bad.append(f"{name}: a CSV output without --keep-formulas (bulle.formulas)")
    assert not bad, bad
    # the ones known today are found (the scan itself works)
    assert {
        ("anonymize", "output"),
        ("export-table", "out"),
        ("read", "output"),
        ("query", "output"),
        ("risk", "html_out"),
        ("hierarchy build", "output"),
        ("text detect", "out"),
        ("text deidentify", "out"),
    } <= set(found)


def test_every_directory_output_named_here_exists():
    params = {(name, p.name) for name, cmd in _commands() for p in cmd.params}
    assert params >= DIRECTORY_OUTPUTS | NEW_SECRET_FILES
