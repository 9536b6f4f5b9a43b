"""Forgetting people in models: retrain only their shards, prove it, and say so in a receipt.

``forget`` drops the requested people from a model's newest manifest, together with anyone in it
the model's purpose can no longer see (erased, consent withdrawn, objected: a batch), retrains the
shards that held them (every shard, said so, when the batch touches more than
``model.full_retrain_share`` of them), writes a new version, deletes the old states of those
shards and stores a receipt signed with the workspace's audit key, recorded in the audit log.
Erasure (``services.erasure``) and a withdrawal or objection for a model's purpose
(``services.governance.record_choices``) call the hooks at the end of this module.
``verify_forget`` retrains the receipt's shards from the recorded manifest and compares bytes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.domain.actor import Actor
from bulle.domain.governance_fields import iso
from bulle.errors import NotFoundError, Where
from bulle.governance import access
from bulle.learning import sisa
from bulle.learning.encoding import Encoding
from bulle.learning.learners import learner
from bulle.learning.sharding import HELD_OUT
from bulle.services.governance import CHOICE_LISTENERS
from bulle.services.model_training import commit_version
from bulle.services.models import absent, mstore, require_model_key, stored_hash
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.domain.consents import Consent, Objection
    from bulle.workspace import Workspace


@dataclass(frozen=True)
class Forgotten(Result):
    model: str
    receipt: str
    shard: int | None  # the (first) requested person's shard; None when they were held out
    shards_retrained: list[int]
    full_retrain: bool
    subjects: int
    lost_basis: int


@dataclass(frozen=True)
class Verified(Result):
    receipt: str
    identical: bool
    signature_valid: bool
    shards: list[dict[str, Any]]


def forget(ws: Workspace, subject_ids: list[str], model: str | None = None) -> list[Forgotten]:
    """Forget ``subject_ids`` in ``model``, or in every model holding any of them."""
    access.can_administer(ws.actor, "forget a person in a model").require()
    names = [model.partition("@")[0]] if model else [m["name"] for m in mstore(ws).models()]
    out = [
        r
        for n in names
        if (r := forget_in(ws, n, subject_ids, only_if_held=model is None)) is not None
    ]
    if not out:
        raise NotFoundError(
            f"model {model!r} holds none of these people"
            if model
            else "no model holds any of these people",
            Where(field="subject"),
        )
    return out


def forget_in(
    ws: Workspace,
    name: str,
    subject_ids: list[str],
    cause: str | None = None,
    *,
    only_if_held: bool = False,
) -> Forgotten | None:
    """One model's forget (None when it holds none of the people and nobody lost their basis;
    with ``only_if_held``, None as soon as it holds none of them, without reading its data)."""
    from bulle.domain.datasets import VersionStatus
    from bulle.services.governance import subject_ref
    from bulle.services.model_data import keys_of, place_rows, placed_rows, read_rows

    st = mstore(ws)
    v = st.version(name)
    spec = v["spec"]
    if ws.catalog.resolve(spec["dataset"]).status is VersionStatus.NEEDS_RECOMPUTE:
        return None  # its data is withheld: the model is not served (models.served) until retrained
    require_model_key(ws, v)
    manifest = st.manifest(name, v["version"])
    keys = keys_of(ws, subject_ids)
    asked = {s: k for s, k in keys.items() if k in manifest}
    if only_if_held and not asked:
        return None
    # who else lost their basis: the manifest against the people the purpose sees now (the
    # project's read), placed from the model's placement file rather than hashed again
    pr = read_rows(ws, spec["project"], spec["dataset"])
    placed = place_rows(ws, pr, spec, name)
    lost = absent(manifest, placed.people()[0]) - set(asked.values())
    drop = set(asked.values()) | lost
    if not drop:
        return None
    kept = dict(manifest)  # a copy in C, then the few people dropped
    for k in drop:
        del kept[k]
    shards, seed = spec["shards"], spec["seed"]
    touched = sorted({manifest[k] for k in drop if manifest[k] != HELD_OUT})
    full = len(touched) > float(ws.settings["model.full_retrain_share"]) * shards
    retrain = list(range(shards)) if full else touched
    # only the retrained shards' rows and the held-out rows (for the AUC) are encoded
    enc = Encoding.from_dict(spec["encoding"])
    only = [*retrain, HELD_OUT]
    rows, _ = placed_rows(ws, pr, enc, spec, model=name, only=only, placed=placed)
    algo = learner(spec["algorithm"], **spec["params"])
    where = sisa.shard_of_rows(rows, kept)
    states = sisa.train_shards(algo, rows, kept, retrain, seed, where)
    old = {s["shard"]: s for s in st.shards(name, v["version"])}
    reuse = {s: old[s] for s in range(shards) if s not in retrain}
    receipt_id = "unlearn-" + uuid.uuid4().hex
    first = next(iter(asked.values()), None)

    def on_commit(store, number: int, model_hash: str, lineage: dict[str, Any]) -> None:
        new_hashes = lineage["shard_hashes"]
        store.set_status(name, v["version"], "forgotten")
        store.close_manifest(name, sorted(drop), number)
        body = {
            "id": receipt_id,
            "model": name,
            "old_version": v["version"],
            "new_version": number,
            "subjects": sorted(subject_ref(ws, s) for s in asked),
            "lost_basis": len(lost),
            "shards": [
                {"shard": s, "old_hash": old[s]["hash"], "new_hash": new_hashes[s]} for s in retrain
            ],
            "held_out": sum(1 for k in drop if manifest[k] == HELD_OUT),
            "full_retrain": full,
            "old_model_hash": v["model_hash"],
            "new_model_hash": model_hash,
            "destroyed": sorted(
                {old[s]["hash"] for s in retrain if old[s]["hash"] not in new_hashes}
            ),
            "data": lineage["data"],
            "data_hashes": lineage["data_hashes"],
            "cause": cause,
            "at": iso(_now()),
            "by": ws.actor.to_dict(),
        }
        signature, key_id = _sign(ws, body)
        store.add_receipt(body, signature, key_id)
        ws.emit(
            ev.ModelForgotten(
                actor=ws.actor,
                target=f"{name}@{number}",
                details={
                    "receipt_id": receipt_id,
                    "old_version": v["version"],
                    "new_version": number,
                    "subjects": body["subjects"],
                    "lost_basis": len(lost),
                    "shards_retrained": retrain,
                    "full_retrain": full,
                    "old_model_hash": v["model_hash"],
                    "new_model_hash": model_hash,
                    "destroyed": body["destroyed"],
                    "signature": signature,
                    "cause": cause,
                },
            )
        )

    trained, _ = commit_version(
        ws,
        name,
        spec,
        pr,
        rows,
        kept,
        states,
        parent=v,
        reuse=reuse,
        on_commit=on_commit,
        where=where,
    )
    return Forgotten(
        trained.model,
        receipt_id,
        None if first is None or manifest[first] == HELD_OUT else manifest[first],
        retrain,
        full,
        len(asked),
        len(lost),
    )


def _now():
    from bulle.services.governance import now_utc

    return now_utc()


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _sign(ws: Workspace, body: dict[str, Any]) -> tuple[str, str]:
    from bulle.audit.keys import key_id, load_workspace_key

    key = load_workspace_key(ws.keys_dir)
    return key.sign(_canonical(body)).hex(), key_id(key)


def receipt(ws: Workspace, receipt_id: str) -> dict[str, Any]:
    access.can_administer(ws.actor, "read an unlearning receipt").require()
    return mstore(ws).receipt(receipt_id)


def verify_forget(ws: Workspace, receipt_id: str) -> Verified:
    """Retrain the receipt's shards from the manifest of the version it made; compare bytes."""
    from bulle.audit.keys import verify_signature, workspace_key_ring
    from bulle.services.model_data import placed_rows, read_rows

    access.can_administer(ws.actor, "verify an unlearning receipt").require()
    st = mstore(ws)
    rec = st.receipt(receipt_id)
    body = rec["body"]
    public = workspace_key_ring(ws.keys_dir).get(rec["key_id"])
    signed = public is not None and verify_signature(
        public, bytes.fromhex(rec["signature"]), _canonical(body)
    )
    v = st.version(body["model"], body["new_version"])
    require_model_key(ws, v)
    spec = v["spec"]
    manifest = st.manifest(body["model"], v["version"])
    pr = read_rows(ws, spec["project"], spec["dataset"])
    enc = Encoding.from_dict(spec["encoding"])
    only = [e["shard"] for e in body["shards"]]
    rows, _ = placed_rows(ws, pr, enc, spec, model=body["model"], only=only)
    recorded = {s["shard"]: s for s in st.shards(body["model"], v["version"])}
    algo = learner(spec["algorithm"], **spec["params"])
    checks = []
    for entry in body["shards"]:
        s = entry["shard"]
        again = sisa.state_hash(sisa.train_shards(algo, rows, manifest, [s], spec["seed"])[s])
        stored = stored_hash(ws, recorded[s])  # None: a later forget destroyed it
        checks.append(
            {
                "shard": s,
                "retrained_hash": again,
                "receipt_hash": entry["new_hash"],
                "stored_hash": stored,
                "identical": again == entry["new_hash"] == recorded[s]["hash"]
                and stored in (None, again),
            }
        )
    identical = (bool(checks) and all(c["identical"] for c in checks)) or not body["shards"]
    ws.emit(
        ev.ModelForgetVerified(
            actor=ws.actor,
            target=f"{body['model']}@{body['new_version']}",
            details={"receipt_id": receipt_id, "identical": identical, "signature_valid": signed},
        )
    )
    return Verified(receipt_id, identical, signed, checks)


# -- hooks -------------------------------------------------------------------------------------------
@contextmanager
def _as_system(ws: Workspace) -> Iterator[None]:
    """A forget triggered by another use case runs as Bulle itself (named in its receipt)."""
    actor = ws.actor
    ws.actor = Actor.system()
    try:
        yield
    finally:
        ws.actor = actor


def after_erasure(ws: Workspace, subject_ids: list[str], erasure_id: str) -> list[str]:
    """Forget an erased person in every model holding them; the receipts (a resumed erasure
    finds those it already made)."""
    st = mstore(ws)
    with _as_system(ws):
        for m in st.models():
            forget_in(ws, m["name"], subject_ids, cause=erasure_id, only_if_held=True)
    return [
        r["id"] for m in st.models() for r in st.receipts(m["name"]) if r["cause"] == erasure_id
    ]


@CHOICE_LISTENERS.register("forget")
def after_choices(ws: Workspace, choices: list[Consent | Objection]) -> list[str]:
    """A withdrawal or objection for a model's purpose: forget the person now, or (setting
    ``model.forget_on_withdrawal`` = 0) leave the model unserved until ``model forget`` runs."""
    from bulle.domain.consents import Consent

    if not int(ws.settings["model.forget_on_withdrawal"]):
        return []
    by_purpose: dict[str, set[str]] = {}
    for c in choices:
        if not isinstance(c, Consent) or c.status.value == "withdrawn":
            by_purpose.setdefault(c.purpose, set()).add(c.subject_id)
    made = []
    with _as_system(ws):
        for m in mstore(ws).models():
            ids = by_purpose.get(m["purpose"])
            if ids:
                r = forget_in(
                    ws, m["name"], sorted(ids), cause=f"choice:{m['purpose']}", only_if_held=True
                )
                if r is not None:
                    made.append(r.receipt)
    return made
