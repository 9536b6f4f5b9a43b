"""A workspace's settings travel with its export, and a crafted export cannot plant a bad one."""

from __future__ import annotations

import json
import shutil

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import ValidationError
from bulle.services.exchange import export_workspace, import_workspace
from bulle.services.settings import set_setting
from bulle.workspace import Workspace

from .test_crafted_exports import _resign

ALICE = Actor("alice", Role.CUSTODIAN)


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    base = tmp_path_factory.mktemp("settings")
    with Workspace.init(base / "ws", ALICE) as ws:
        set_setting(ws, "query.timeout_max_s", "90")
        set_setting(ws, "query.memory_limit", "512MB")
        export_workspace(ws, base / "out", include_keys=True)
    return base / "out"


def test_the_settings_of_bulle_toml_come_back_with_an_imported_workspace(export, tmp_path):
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["workspace"]["settings"] == {
        "query.timeout_max_s": 90.0,
        "query.memory_limit": "512MB",
    }
    import_workspace(export, tmp_path / "new", ALICE)
    with Workspace.open(tmp_path / "new", ALICE) as ws:
        assert ws.settings["query.timeout_max_s"] == 90.0
        assert ws.settings.resolved("query.timeout_max_s").source == "bulle.toml"
        assert ws.settings["query.memory_limit"] == "512MB"


def test_a_crafted_export_with_bad_settings_is_refused_listing_every_problem(export, tmp_path):
    crafted = tmp_path / "crafted"
    shutil.copytree(export, crafted)
    manifest = json.loads((crafted / "manifest.json").read_text())
    manifest["workspace"]["settings"] = {
        "query.timeout_max_s": 1e300,
        "query.result_max_rows": 0,
        "x" * 5000: 1,
        "query.memory_limit": "9" * 100,
    }
    _resign(crafted, manifest)
    with pytest.raises(ValidationError) as err:
        import_workspace(crafted, tmp_path / "new", ALICE)
    fields = [p.where.field for p in err.value.problems]
    assert "workspace.settings.query.timeout_max_s" in fields
    assert "workspace.settings.query.result_max_rows" in fields
    assert "workspace.settings.query.memory_limit" in fields
    assert any(f.startswith("workspace.settings.xxx") and len(f) < 200 for f in fields)
    assert not (tmp_path / "new").exists()
