"""Synthetic versions in a workspace: what they keep, their status, the custodian's mark, erasure.

Runs the real pipeline (DuckDB engine, the synthesizers, both reports) on the bundled French
patients table (1 000 people with names, NIR, e-mails, a free-text note and diagnoses).
"""

from __future__ import annotations

import json
from importlib import resources

import pyarrow.parquet as pq
import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, ConflictError, InputError
from bulle.services import vault
from bulle.services.settings import set_setting
from bulle.services.synthesis_workspace import mark_anonymous, synthesize_version
from bulle.workspace import Workspace

pytest.importorskip("bulle.synthesis.utility", reason="the utility report lands with synthreport")

IDENTIFYING = {"id_patient", "nom", "prénom", "NIR", "téléphone", "courriel", "commentaire"}


@pytest.fixture
def ws(tmp_path):
    w = Workspace.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN))
    src = resources.files("bulle") / "data" / "patients_fr.csv"
    vault.import_table(w, str(src), "patients")
    vault.set_roles(w, "patients", confirm_all=True)
    set_setting(
        w, "synthesis.privacy_attacks", "200"
    )  # a fast report: the figures are not judged here
    yield w
    w.close()


def test_synthetic_version_drops_identifiers_and_is_personal_data(ws):
    out = synthesize_version(ws, "patients", "cart", seed=3)
    v = ws.catalog.resolve(out.ref)
    assert v.kind.value == "synthetic" and v.parents == ["patients@1"]
    assert v.personal_data and out.personal_data
    names = [c["name"] for c in v.schema]
    assert not IDENTIFYING & set(names) and set(out.dropped) == IDENTIFYING
    table = pq.read_table(ws.path_of(v))
    assert table.num_rows == out.run.rows == out.run.training_rows
    real = set(
        pq.read_table(ws.path_of(ws.catalog.resolve("patients@1"))).column("NIR").to_pylist()
    )
    assert not {str(x) for c in table.columns for x in c.to_pylist()} & {str(x) for x in real}
    op = v.operation
    assert op["name"] == "synthesize" and op["method"] == "cart" and op["seed"] == 3
    assert op["params"] == {"min_leaf": 5, "max_depth": 0}
    kinds = {a["kind"] for a in ws.catalog.artefacts(v.dataset, v.number)}
    assert kinds == {"synthesis_report", "synthesis_report_html"}
    report = json.loads(
        next(
            (ws.root / a["path"]).read_text()
            for a in ws.catalog.artefacts(v.dataset, v.number)
            if a["kind"] == "synthesis_report"
        )
    )
    assert report["privacy"]["singling_out"]["ci"][0] <= report["privacy"]["singling_out"]["risk"]
    # a bare name synthesizes the data again, not the synthetic version
    again = synthesize_version(ws, "patients", "cart", seed=3)
    assert ws.catalog.resolve(again.ref).parents == ["patients@1"]
    assert ws.catalog.resolve(again.ref).content_hash == v.content_hash  # same seed, same rows


def test_mark_is_refused_over_the_thresholds_and_allowed_under_them(ws):
    out = synthesize_version(ws, "patients", "avatar", seed=1)
    set_setting(ws, "synthesis.max_linkability_risk", "0")
    set_setting(ws, "synthesis.max_singling_out_risk", "0")
    with pytest.raises(ConflictError, match="stays personal data"):
        mark_anonymous(ws, out.ref, "reviewed by the DPO")
    assert ws.catalog.resolve(out.ref).personal_data
    for name in ("singling_out", "linkability", "inference"):
        set_setting(ws, f"synthesis.max_{name}_risk", "1")
    set_setting(ws, "synthesis.max_risk_upper_bound", "1")
    set_setting(ws, "synthesis.max_exact_copy_excess", "1")
    mark = mark_anonymous(ws, out.ref, "reviewed by the DPO")
    assert not mark.personal_data and not ws.catalog.resolve(out.ref).personal_data
    log = (ws.root / "audit" / "log.jsonl").read_text()
    assert log.count('"dataset.synthetic_mark"') == 2  # the refusal is recorded too
    with pytest.raises(InputError, match="only synthetic versions"):
        mark_anonymous(ws, "patients@1", "no")


def test_default_rule_refuses_a_revealing_table_and_marks_dummy_data(ws):
    """CART on 800 nearly unique patients copies most of them: refused, and the message names
    each failed check with its setting (and not the checks that passed). Dummy data, made from
    values shared by at least ten people, passes the same rule."""
    out = synthesize_version(ws, "patients", "cart", seed=1)
    with pytest.raises(ConflictError) as refused:
        mark_anonymous(ws, out.ref, "reviewed by the DPO")
    message = str(refused.value)
    assert (
        "singling out risk 0.9" in message
        and "(setting synthesis.max_singling_out_risk)" in message
    )
    assert "exact copies beyond the natural rate" in message
    assert "synthesis.max_exact_copy_excess" in message
    assert "linkability risk " not in message
    assert ws.catalog.resolve(out.ref).personal_data
    dummy = synthesize_version(ws, "patients", "dummy", seed=1)
    mark = mark_anonymous(ws, dummy.ref, "dummy data: no record carried over")
    assert not mark.personal_data and not ws.catalog.resolve(dummy.ref).personal_data
    assert mark.exceeded == [] and mark.thresholds["inference_upper"] == 0.35


def test_only_the_custodian_synthesizes_or_marks(ws, tmp_path):
    out = synthesize_version(ws, "patients", "dummy", seed=1)
    analyst = Workspace.open(ws.root, Actor("bob", Role.ANALYST))
    try:
        with pytest.raises(AccessDenied):
            synthesize_version(analyst, "patients", "cart")
        with pytest.raises(AccessDenied):
            mark_anonymous(analyst, out.ref, "because")
    finally:
        analyst.close()


def test_erasure_recomputes_the_synthetic_version(ws):
    from bulle.services.subject_rights import erase_subject

    out = synthesize_version(ws, "patients", "cart", seed=2)
    before = ws.catalog.resolve(out.ref)
    receipt = erase_subject(ws, "P100001")
    assert out.ref in [r["ref"] for r in receipt.recomputed]
    after = ws.catalog.resolve(out.ref)
    assert after.status.value == "active"
    assert after.tombstones[-1]["kind"] == "recompute"
    assert after.content_hash != before.content_hash
    source_rows = ws.catalog.resolve("patients@1").row_count
    assert source_rows == 999
    # the same method, parameters and seed on the 999 remaining people
    assert pq.read_metadata(ws.path_of(after)).num_rows == round(999 * 0.8)


def test_bad_requests_name_the_problem(ws):
    with pytest.raises(InputError, match="NIR"):
        synthesize_version(ws, "patients", "cart", target="NIR")
    with pytest.raises(InputError, match="not a column"):
        synthesize_version(ws, "patients", "cart", sensitive=["nope"])
    with pytest.raises(InputError, match="unknown option"):
        synthesize_version(ws, "patients", "avatar", params={"kk": "3"})
    assert [v.kind.value for v in ws.catalog.versions("patients")] == ["import"]


def test_erasure_withdraws_a_mark_the_new_report_does_not_support(ws):
    from bulle.services.subject_rights import erase_subject

    out = synthesize_version(ws, "patients", "cart", seed=2)
    for name in ("singling_out", "linkability", "inference"):
        set_setting(ws, f"synthesis.max_{name}_risk", "1")
    set_setting(ws, "synthesis.max_risk_upper_bound", "1")
    set_setting(ws, "synthesis.max_exact_copy_excess", "1")
    mark_anonymous(ws, out.ref, "reviewed")
    assert not ws.catalog.resolve(out.ref).personal_data
    set_setting(ws, "synthesis.max_exact_copy_excess", "0")  # the custodian tightens the rule
    erase_subject(ws, "P100001")
    assert ws.catalog.resolve(out.ref).personal_data
