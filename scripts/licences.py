"""Print the licence table of every pinned dependency (docs/licences.md is made from it).

Run: .venv/bin/python scripts/licences.py
"""

from __future__ import annotations

import importlib.metadata as md
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"


def licence_of(name: str) -> str:
    m = md.metadata(name)
    expr = m.get("License-Expression") or ""
    if expr:
        return expr
    classifiers = [
        c.split("::")[-1].strip()
        for c in m.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    if classifiers:
        return "; ".join(classifiers)
    return (m.get("License") or "unknown").splitlines()[0][:60]


def main() -> None:
    print("| package | version | licence |")
    print("|---|---|---|")
    for line in LOCK.read_text().splitlines():
        if "==" not in line or line.startswith("#"):
            continue
        name, version = line.split("==")
        print(f"| {name} | {version} | {licence_of(name)} |")


if __name__ == "__main__":
    main()
