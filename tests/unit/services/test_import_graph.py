"""The import graph: no cycles among services, no private names borrowed across modules.

A cycle among services (one importing another inside a function to dodge the loop) means two use
cases that cannot be understood, tested or moved apart; a private name (``_x``) imported from
another module is an interface nobody declared. The scan reads the source (AST), counting imports
inside functions too (they run, just later), and leaving out ``if TYPE_CHECKING:`` blocks (they
never run). ``KNOWN_CYCLES`` names the cycles elsewhere in the package, each with why; it may only
shrink.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

import bulle

SRC = Path(bulle.__file__).resolve().parent

KNOWN_CYCLES = {
    frozenset({"bulle.store", "bulle.workspace"}): "a store makes sessions; a one-shot session "
    "opens its own store",
    frozenset(
        {
            "bulle.storage.engine",
            "bulle.storage.duckdb_engine",
            "bulle.storage.duckdb_anonymization",
        }
    ): "the default engine is named by the interface module",
    frozenset({"bulle.domain.anonymization_requests", "bulle.domain.model_options"}): "a request "
    "reads its models' options, which build requests",
    frozenset({"bulle.exchange.manifest", "bulle.exchange.validation"}): "the manifest's paths "
    "are checked by the validation rules, which read manifests",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in SRC.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for n in ast.walk(node)}
    return skipped


@functools.cache
def _imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, imported name or None) for every Bulle import that runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "bulle":
                found += [(node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names if a.name.split(".")[0] == "bulle"]
    return found


@functools.cache
def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        deps = set()
        for module, imported in _imports(path):
            sub = f"{module}.{imported}"
            deps.add(sub if sub in MODULES else module)
        graph[name] = {d for d in deps if d in MODULES and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(frozenset(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_services_import_one_another_without_a_cycle() -> None:
    found = [c for c in cycles(_graph()) if any(m.startswith("bulle.services.") for m in c)]
    assert found == [], f"import cycles among services: {[sorted(c) for c in found]}"


def test_no_new_import_cycle_and_the_known_ones_only_shrink() -> None:
    found = set(cycles(_graph()))
    assert found - set(KNOWN_CYCLES) == set(), "a new import cycle"
    assert set(KNOWN_CYCLES) - found == set(), "a known cycle is gone: remove it from the list"


def test_no_private_name_is_imported_from_another_module() -> None:
    borrowed = [
        f"{name} imports {imported} from {module}"
        for name, path in MODULES.items()
        for module, imported in _imports(path)
        if imported and imported.startswith("_") and not imported.startswith("__")
    ]
    assert borrowed == []


@pytest.mark.slow
def test_each_services_module_imports_first_in_a_fresh_process() -> None:
    """A cycle through top-level imports fails only when one side is imported first: import each
    service first (all bulle modules forgotten in between), in both orders of the list."""
    names = sorted(n for n in MODULES if n.startswith("bulle.services."))
    script = (
        "import importlib, sys\n"
        f"names = {names!r}\n"
        "for order in (names, names[::-1]):\n"
        "    for n in order:\n"
        "        for m in [m for m in sys.modules if m == 'bulle' or m.startswith('bulle.')]:\n"
        "            del sys.modules[m]\n"
        "        importlib.import_module(n)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
