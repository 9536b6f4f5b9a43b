"""Lineage is a registry the operations register into: it imports no service, not even lazily.

A recomputer registered by ``lineage`` itself would make lineage depend on the operation it
recomputes (a runtime import cycle once that operation needs lineage); each operation's module
registers its own, as a plug-in would.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bulle.services.lineage as lineage


def test_lineage_imports_no_service():
    tree = ast.parse(Path(lineage.__file__).read_text(encoding="utf-8"))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert [m for m in imported if m.startswith("bulle.services")] == []


def test_every_builtin_operation_has_its_recomputer():
    from bulle.services import pseudonymization

    assert lineage.recomputer_for("pseudonymize") is pseudonymization.recompute_for_lineage
    assert lineage.recomputer_for("anonymize") is not None
