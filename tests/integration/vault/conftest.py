from __future__ import annotations

import pytest

from bulle.domain.actor import Actor, Role
from bulle.workspace import Workspace


@pytest.fixture
def custodian() -> Actor:
    return Actor("alice", Role.CUSTODIAN)


@pytest.fixture
def ws(tmp_path, custodian):
    w = Workspace.init(tmp_path / "ws", custodian)
    yield w
    w.close()


@pytest.fixture
def snapshot():
    return _snapshot


def _snapshot(ws: Workspace) -> tuple:
    """What a failed operation must leave unchanged: catalog rows and files under data/."""
    versions = [v.to_dict() for v in ws.catalog.versions()]
    files = sorted(str(p.relative_to(ws.root)) for p in (ws.root / "data").rglob("*")
                   if p.is_file() and ".tmp" not in p.parts)
    return versions, files
