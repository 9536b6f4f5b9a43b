"""The CLI parses, calls a service and renders: it imports no engine, algorithm or log internals.

Every use case lives in ``bulle.services`` so that the Python API and the HTTP API get the same
behaviour; a command that reached into ``bulle.anonymization``, ``bulle.text``, ``bulle.audit`` or
``bulle.storage`` would hold a use case of its own. Only registry names (choices derived from what
is registered) may be imported from the algorithm packages.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import bulle.cli

CLI = Path(bulle.cli.__file__).parent
FORBIDDEN = ("bulle.anonymization", "bulle.text", "bulle.audit", "bulle.storage")
REGISTRY_NAME = re.compile(
    r"(?i)registr(y|ies)|^(METRICS|MODELS|OPERATORS|RECOGNIZERS|AGGREGATES)$"
)


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """Every import of a module, at top level or inside functions: (line, module, names)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module, [a.name for a in node.names]))
    return out


def offences(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for line, module, names in imports(path):
            if not any(module == f or module.startswith(f + ".") for f in FORBIDDEN):
                continue
            if "registry" in module or (names and all(REGISTRY_NAME.search(n) for n in names)):
                continue
            found.append(f"{path.relative_to(root)}:{line}: {module} {names}")
    return found


def test_cli_imports_only_services_domain_errors_and_helpers():
    assert offences(CLI) == []


def test_the_scan_sees_imports_inside_functions(tmp_path):
    (tmp_path / "cmd.py").write_text(
        "import click\n"
        "def f():\n"
        "    from bulle.storage.engine import default_engine\n"
        "    import bulle.audit.log\n"
        "    from bulle.text.registry import RECOGNIZERS\n"
        "    from bulle.anonymization.metrics import METRICS\n"
        "    from bulle.services.risk import measure_file_risk\n"
    )
    assert offences(tmp_path) == [
        "cmd.py:3: bulle.storage.engine ['default_engine']",
        "cmd.py:4: bulle.audit.log []",
    ]
