"""Models travel with a workspace export: a re-imported workspace forgets and verifies a forget
byte for byte like the original (with the model key, exported only with --include-keys), and a
crafted export's model files are refused."""

from __future__ import annotations

import hashlib
import json
import random
import shutil

import pytest
from tests.integration.exchange.test_crafted_exports import _resign
from tests.integration.models.test_forget_exact import a_trained_person
from tests.integration.models.world import make_world, people_csv

from bulle.domain.actor import Actor, Role
from bulle.errors import ConflictError, IntegrityError, ValidationError
from bulle.services import forgetting, model_training, models
from bulle.services.exchange import export_workspace, import_workspace
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
N = 150


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A model of 4 shards from which one person was already forgotten (a destroyed state)."""
    base = tmp_path_factory.mktemp("models-src")
    ws = make_world(base / "ws", people_csv(N), N)
    try:
        model_training.train(ws, "study", "people", "outcome", shards=4)
        rng = random.Random(21)
        first = a_trained_person(ws, 4, rng)
        [done] = forgetting.forget(ws, [f"P{first}"], "people-outcome")
        second = first
        while second == first:
            second = a_trained_person(ws, 4, rng)
        export_workspace(ws, base / "with-keys", include_keys=True)
        export_workspace(ws, base / "without-keys")
    finally:
        ws.close()
    return {"base": base, "receipt": done.receipt, "second": f"P{second}"}


def test_a_reimported_workspace_forgets_byte_for_byte_like_the_original(source, tmp_path):
    manifest = json.loads((source["base"] / "with-keys" / "manifest.json").read_text())
    states = [f["path"] for f in manifest["files"] if f["kind"] == "model-state"]
    assert len(states) == 4 and manifest["data"]["model_states"] == 4
    assert not any("placement" in f["path"] or ".npz" in f["path"] for f in manifest["files"])
    import_workspace(source["base"] / "with-keys", tmp_path / "new", ALICE)
    copy = tmp_path / "original"
    shutil.copytree(source["base"] / "ws", copy)  # the same forget in the original, for comparison
    results = []
    for root in (tmp_path / "new", copy):
        with Workspace.open(root, ALICE) as ws:
            assert forgetting.verify_forget(ws, source["receipt"]).identical  # the carried receipt
            [done] = forgetting.forget(ws, [source["second"]], "people-outcome")
            assert forgetting.verify_forget(ws, done.receipt).identical
            v = models.mstore(ws).version("people-outcome")
            files = [
                (ws.root / s["path"]).read_bytes() for s in models.mstore(ws).shards(v["model"], 3)
            ]
            results.append((v["lineage"]["shard_hashes"], v["model_hash"], files))
    assert results[0] == results[1]


def test_without_its_model_key_an_imported_model_is_refused_with_a_reason(source, tmp_path):
    import_workspace(source["base"] / "without-keys", tmp_path / "new", ALICE)
    with Workspace.open(tmp_path / "new", ALICE) as ws:
        with pytest.raises(ConflictError, match=r"model key .* --include-keys"):
            forgetting.forget(ws, [source["second"]], "people-outcome")
        with pytest.raises(ConflictError, match="model key"):
            models.predict(ws, "people-outcome")
        with pytest.raises(ConflictError, match="model key"):
            forgetting.verify_forget(ws, source["receipt"])


def _crafted(source, tmp_path, edit):
    export = tmp_path / "crafted"
    shutil.copytree(source["base"] / "with-keys", export)
    manifest = json.loads((export / "manifest.json").read_text())
    edit(manifest, export)
    _resign(export, manifest)
    return export


def _state(manifest):
    return next(f for f in manifest["files"] if f["kind"] == "model-state")


def test_a_tampered_model_state_is_refused(source, tmp_path):
    def edit(manifest, export):
        p = export / _state(manifest)["path"]
        p.write_bytes(p.read_bytes().replace(b"tree", b"TREE", 1))

    with pytest.raises(ValidationError, match="malformed manifest") as err:
        import_workspace(_crafted(source, tmp_path, edit), tmp_path / "new", ALICE)
    assert "hash in its name" in str(err.value.problems)
    assert not (tmp_path / "new").exists()


def test_a_state_renamed_to_its_new_hash_is_not_one_the_catalog_uses(source, tmp_path):
    def edit(manifest, export):
        f = _state(manifest)
        data = (export / f["path"]).read_bytes() + b"\n"
        digest = hashlib.sha256(data).hexdigest()
        new = f"{f['path'].rsplit('/', 1)[0]}/{digest}.state"
        (export / f["path"]).unlink()
        (export / new).write_bytes(data)
        f["path"] = new
        manifest["files"].sort(key=lambda x: x["path"])

    with pytest.raises(IntegrityError, match="no active model version"):
        import_workspace(_crafted(source, tmp_path, edit), tmp_path / "new", ALICE)
    assert not (tmp_path / "new").exists()


def test_an_extra_model_file_is_refused(source, tmp_path):
    def edit(manifest, export):
        data = b"not a model"
        digest = hashlib.sha256(data).hexdigest()
        (export / "models" / "other").mkdir()
        (export / "models" / "other" / f"{digest}.state").write_bytes(data)
        manifest["files"].append(
            {"path": f"models/other/{digest}.state", "kind": "model-state", "sha256": digest,
             "size": len(data)}
        )  # fmt: skip
        manifest["data"]["model_states"] += 1

    with pytest.raises(IntegrityError, match="no active model version") as err:
        import_workspace(_crafted(source, tmp_path, edit), tmp_path / "new", ALICE)
    assert (
        err.value.where.file
        == "models/other/" + hashlib.sha256(b"not a model").hexdigest() + ".state"
    )


def test_a_model_file_outside_its_place_or_a_link_is_refused(source, tmp_path):
    def elsewhere(manifest, export):
        f = _state(manifest)
        f["path"] = "models/../keys/" + f["path"].rsplit("/", 1)[1]

    with pytest.raises(ValidationError) as err:
        import_workspace(_crafted(source, tmp_path, elsewhere), tmp_path / "new", ALICE)
    assert "not a plain relative path" in str(err.value.problems)

    def linked(manifest, export):  # the same bytes, but through a link out of the export
        p = export / _state(manifest)["path"]
        outside = tmp_path / "outside.state"
        shutil.move(p, outside)
        p.symlink_to(outside)

    with pytest.raises(IntegrityError, match="symbolic link"):
        import_workspace(_crafted(source, tmp_path / "b", linked), tmp_path / "new", ALICE)
    assert not (tmp_path / "new").exists()
