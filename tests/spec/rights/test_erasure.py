"""Erasure: proportional to the subject, rewrites holders, recomputes or withholds derived versions."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from bulle.errors import NotFoundError, WithheldError
from bulle.services import governance as gov
from bulle.services import subject_rights as sr
from bulle.services import vault
from bulle.services.pseudonymization import pseudonymize, reidentify


def all_ids(ws, ref):
    v = ws.catalog.resolve(ref)
    return pq.read_table(ws.path_of(v)).column("id_patient").to_pylist()


def test_erasure_across_versions_recomputes_derived(world):
    c = world["custodian"]
    src = world["tmp"] / "patients.csv"
    vault.import_table(c, src, "patients")  # patients@2: the same people again
    vault.set_roles(c, "patients@2", confirm_all=True)
    p3 = pseudonymize(c, "patients@2", reid_table=True)  # patients@3, derived
    token = vault.read_table(c, p3.ref).to_pylist()[2]["id_patient"]
    assert reidentify(c, p3.ref, [token]).tokens[token] == {"id_patient": "P3"}
    report = sr.access_report(c, "P3")
    assert [v["ref"] for v in report.versions] == ["patients@1", "patients@2", "patients@3"]
    old = {v.ref: v for v in c.catalog.versions("patients")}

    out = sr.erase_subject(c, "P3")

    assert [r["ref"] for r in out.rewritten] == ["patients@1", "patients@2"]
    assert [r["ref"] for r in out.recomputed] == ["patients@3"]
    for ref in ("patients@1", "patients@2"):
        assert "P3" not in all_ids(c, ref) and len(all_ids(c, ref)) == 5
    assert len(all_ids(c, "patients@3")) == 5 and token not in all_ids(c, "patients@3")
    for v in c.catalog.versions("patients"):
        assert v.number == old[v.ref].number
        stone = v.tombstones[-1]
        assert stone["receipt_id"] == out.receipt_id
        assert stone["old_content_hash"] == old[v.ref].content_hash
        assert stone["new_content_hash"] == v.content_hash != old[v.ref].content_hash
        assert not (c.root / old[v.ref].path).exists()
    # the re-identification table was rewritten too: the person is gone from it
    assert reidentify(c, p3.ref, [token]).tokens[token] is None
    # choices and index are gone; the audit log is intact and holds no id
    with pytest.raises(NotFoundError):
        sr.erase_subject(c, "P3")
    assert c.audit_log.verify().ok
    assert (
        "P3" not in (c.root / "audit" / "log.jsonl").read_text()
    )  # events name people by hash only


def test_derived_version_without_recomputer_is_withheld(world):
    """A version made by an operation Bulle cannot replay (here: a custodian's own extract) is
    withheld after an erasure, its file deleted, never kept with the erased person in it."""
    from bulle.domain.datasets import VersionKind

    c = world["custodian"]
    parent = c.catalog.resolve("patients")
    tmp = c.temp_path()
    stats = c.engine.write_sql(
        f"SELECT id_patient, age FROM read_parquet('{c.path_of(parent)}')", tmp
    )
    extract = c.commit_version(
        tmp,
        dataset="extract",
        kind=VersionKind.DERIVED,
        parents=[parent.ref],
        operation={"name": "manual-extract"},
        row_count=stats.rows,
        schema=stats.schema,
    )
    out = sr.erase_subject(c, "P1")
    assert out.withheld == [extract.ref]
    v = c.catalog.resolve(extract.ref)
    assert v.status.value == "needs_recompute" and not c.path_of(v).exists()
    assert v.tombstones[-1]["receipt_id"] == out.receipt_id
    with pytest.raises(WithheldError):
        vault.read_table(c, extract.ref)


def test_access_report_lists_reads_where_the_person_was_visible(world):
    gov.read_for_project(world["analyst"], "diabete", "patients")
    r1 = sr.access_report(world["custodian"], "P1")
    r6 = sr.access_report(world["custodian"], "P6")  # never consented: not seen by the project
    assert [r["project"] for r in r1.reads] == ["diabete"]
    assert r6.reads == []
    assert r1.choices[0]["kind"] == "given"


def test_erasure_across_three_versions_and_an_anonymized_release(world):
    from bulle.anonymization.builders import flat_rows, interval_rows
    from bulle.anonymization.hierarchy import Hierarchy
    from bulle.anonymization.spec import AnonymizationSpec, ModelSpec
    from bulle.services.anonymization import anonymize_dataset

    c = world["custodian"]
    src = world["tmp"] / "patients.csv"
    vault.import_table(c, src, "patients")  # patients@2
    vault.import_table(c, src, "patients")  # patients@3: three versions hold P3
    vault.set_roles(c, "patients@3", confirm_all=True)
    ages = [str(30 + i) for i in range(1, 7)]
    spec = AnonymizationSpec(
        quasi_identifiers=("age",),
        hierarchies={
            "age": Hierarchy.from_rows(interval_rows(ages, 5, [2]), "age"),
            "diagnostic": Hierarchy.from_rows(flat_rows(["E11", "I10"]), "diagnostic"),
        },
        models=(ModelSpec("k-anonymity", None, {"k": 2}),),
        suppression_limit=0.5,
        metric="loss",
    )
    release = anonymize_dataset(c, "patients@3", spec, keep=["diagnostic"])
    assert release["ref"] == "patients@4" and release["dropped"] == ["id_patient", "nom"]
    rel = c.catalog.resolve("patients@4")
    assert not rel.personal_data and "id_patient" not in [col["name"] for col in rel.schema]
    kinds = {a["kind"] for a in c.catalog.artefacts("patients", 4)}
    assert {"risk_report", "risk_report_html", "hierarchy:age"} <= kinds
    before = {v.ref: v.content_hash for v in c.catalog.versions("patients")}

    out = sr.erase_subject(c, "P3")

    assert [r["ref"] for r in out.rewritten] == ["patients@1", "patients@2", "patients@3"]
    assert [r["ref"] for r in out.recomputed] == ["patients@4"]
    after = c.catalog.resolve("patients@4")
    assert after.row_count == 5 and after.content_hash != before["patients@4"]
    assert after.tombstones[-1]["receipt_id"] == out.receipt_id
    for ref in ("patients@1", "patients@2", "patients@3"):
        assert "P3" not in all_ids(c, ref)
    assert c.audit_log.verify().ok
