"""Erasure and the access report reach a person's every copy: by subject id, by NIR in a dataset
with no subject id, by their pseudonyms (with or without lineage); and say what was not searched."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from bulle.domain.actor import Actor, Role
from bulle.services import subject_rights as sr
from bulle.services import vault
from bulle.services.pseudonymization import pseudonymize
from bulle.services.vault import set_roles
from bulle.vault.pseudonymize import normalize, token
from bulle.workspace import Workspace


def nir(i: int) -> str:
    base = f"1850578006{i:03d}"
    return f"{base}{97 - int(base) % 97:02d}"


def spaced(n: str) -> str:
    return f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}"


@pytest.fixture
def ws(tmp_path):
    """patients (subject id + NIR), admissions (NIR and name, no subject id; P3 twice, once with
    spaces, plus a homonym of P3 with another NIR), admissions@2 pseudonymized, an extract of
    those pseudonyms imported on its own, a directory of names only, pseudonyms under a key that
    is gone, and an anonymized release of patients."""
    from bulle.anonymization.builders import flat_rows, interval_rows
    from bulle.anonymization.hierarchy import Hierarchy
    from bulle.anonymization.spec import AnonymizationSpec, ModelSpec
    from bulle.services.anonymization import anonymize_dataset

    c = Workspace.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN))
    (tmp_path / "patients.csv").write_text(
        "id_patient,nom,nir,diagnostic,age\n"
        + "".join(
            f"P{i},Nom{i},{nir(i)},{'E11' if i % 2 else 'I10'},{30 + i}\n" for i in range(1, 7)
        )
    )
    vault.import_table(c, tmp_path / "patients.csv", "patients")
    rows = [
        (nir(3), "Nom3", "Jean", "cardio"),
        (nir(1), "Nom1", "Anne", "cardio"),
        (spaced(nir(3)), "NOM3", "Jean", "urgences"),
        (nir(9), "Nom3", "Paul", "cardio"),
        (nir(2), "Nom2", "Luc", "urgences"),
    ]
    (tmp_path / "admissions.csv").write_text(
        "nir,nom,prenom,service\n" + "".join(",".join(r) + "\n" for r in rows)
    )
    vault.import_table(c, tmp_path / "admissions.csv", "admissions")
    set_roles(c, "admissions@1", confirm_all=True)
    pseudonymize(c, "admissions@1")  # admissions@2
    vault.export_table(c, "admissions@2", tmp_path / "extract.parquet")
    vault.import_table(c, tmp_path / "extract.parquet", "extract")  # tokens only, no lineage
    (tmp_path / "annuaire.csv").write_text("nom,prenom\nNom3,Jean\nNom4,Marc\n")
    vault.import_table(c, tmp_path / "annuaire.csv", "annuaire")
    gone = bytes(32)
    (tmp_path / "legacy.csv").write_text(
        "id_patient,montant\n"
        + "".join(
            f"{token(gone, 'deadbeef', normalize(f'P{i}', 'text'))},{i}\n" for i in range(1, 5)
        )
    )
    vault.import_table(c, tmp_path / "legacy.csv", "legacy")
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
    set_roles(c, "patients@1", confirm_all=True)
    assert anonymize_dataset(c, "patients@1", spec, drop=["diagnostic"])["ref"] == "patients@2"
    yield c
    c.close()


def column(c, ref, name):
    return pq.read_table(c.path_of(c.catalog.resolve(ref))).column(name).to_pylist()


def p3_tokens(c):
    key_id, key = c.keys.pseudonym_key()
    return {
        token(key, key_id, normalize(nir(3), "nir")),
        token(key, key_id, normalize("P3", "text")),
    }


def test_access_report_finds_the_person_under_every_identifier(ws):
    report = sr.access_report(ws, "P3")
    by_ref = {v["ref"]: v for v in report.versions}
    assert by_ref["patients@1"]["rows"] == 1
    assert by_ref["admissions@1"]["rows"] == 2 and by_ref["admissions@1"]["linked_by"] == ["nir"]
    assert by_ref["admissions@2"]["rows"] == 2  # by pseudonym, and derived from admissions@1
    assert by_ref["extract@1"]["rows"] == 2 and by_ref["extract@1"]["linked_by"] == ["nir"]
    assert by_ref["patients@2"]["derived_from"] == ["patients@1"]
    assert "annuaire@1" not in by_ref and "legacy@1" not in by_ref
    why = {n["ref"]: n["reason"] for n in report.not_searched}
    assert set(why) == {"annuaire@1", "legacy@1", "patients@2"}
    assert "names" in why["annuaire@1"] and "review by hand" in why["annuaire@1"]
    assert "key deadbeef" in why["legacy@1"] and "no longer in the key folder" in why["legacy@1"]
    assert why["patients@2"].startswith("anonymized release: the person cannot be located")
    assert {s["ref"] for s in report.searched} == {
        "patients@1",
        "admissions@1",
        "admissions@2",
        "extract@1",
    }
    assert report.identifiers_linked["nir"] == 1  # one NIR, however it is written


def test_erasure_reaches_every_copy_and_its_receipt_says_where_it_looked(ws):
    before = {v.ref: v for v in ws.catalog.versions()}
    out = sr.erase_subject(ws, "P3")

    rewritten = {r["ref"]: r for r in out.rewritten}
    assert set(rewritten) == {"patients@1", "admissions@1", "extract@1"}
    assert rewritten["admissions@1"]["rows_removed"] == 2 and rewritten["admissions@1"][
        "linked_by"
    ] == ["nir"]
    assert rewritten["extract@1"]["rows_removed"] == 2
    assert {r["ref"] for r in out.recomputed} == {"admissions@2", "patients@2"}
    assert {n["ref"] for n in out.not_searched} == {"annuaire@1", "legacy@1", "patients@2"}
    assert {s["ref"] for s in out.searched} == {
        "patients@1",
        "admissions@1",
        "admissions@2",
        "extract@1",
    }
    # the person is gone everywhere; the homonym (same name, another NIR) stays
    assert "P3" not in column(ws, "patients@1", "id_patient")
    nirs = [normalize(n, "nir") for n in column(ws, "admissions@1", "nir")]
    assert nir(3) not in nirs and nir(9) in nirs and len(nirs) == 3
    for ref in ("admissions@2", "extract@1"):
        assert not p3_tokens(ws) & set(column(ws, ref, "nir")) and len(column(ws, ref, "nir")) == 3
    assert ws.catalog.resolve("patients@2").row_count == 5
    assert ws.catalog.resolve("annuaire@1").content_hash == before["annuaire@1"].content_hash
    # the receipt and the log hold counts, names of versions and columns: never the person's values
    stored = ws.catalog.con.execute("SELECT summary_json FROM erasures").fetchone()[0]
    log = (ws.root / "audit" / "log.jsonl").read_text()
    for text in (stored, log):
        assert nir(3) not in text and spaced(nir(3)) not in text and "P3" not in text
    assert "admissions@1" in stored and "not_searched" in stored
    # the journal held the person's NIR while the erasure ran: no byte of it is left in the catalog
    for f in ws.root.glob("catalog.sqlite*"):
        assert nir(3).encode() not in f.read_bytes(), f.name
    assert ws.audit_log.verify().ok
    # nothing is left pending, and nothing is left to find
    assert ws.catalog.con.execute("SELECT count(*) FROM erasure_journal").fetchone()[0] == 0
    assert not any(v["rows"] for v in sr.access_report(ws, "P3").versions)


def test_the_search_closes_over_nir_and_email_but_never_over_another_datasets_ids(tmp_path):
    """P3's NIR finds their admission, whose e-mail finds their messages (written in another case);
    the admission's stay number happens to be "P1": patient P1 is someone else and stays."""
    c = Workspace.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN))
    try:
        (tmp_path / "p.csv").write_text(
            "id_patient,nir,age\n" + "".join(f"P{i},{nir(i)},{30 + i}\n" for i in (1, 2, 3))
        )
        (tmp_path / "a.csv").write_text(
            f"sejour,nir,courriel\nP1,{nir(3)},jean.dupont@example.fr\nS2,{nir(2)},luc@example.fr\n"
        )
        (tmp_path / "m.csv").write_text(
            "courriel,objet\n Jean.Dupont@EXAMPLE.fr ,rdv\nluc@example.fr,rdv\n"
        )
        vault.import_table(c, tmp_path / "p.csv", "patients")
        vault.import_table(c, tmp_path / "a.csv", "admissions")
        vault.set_roles(c, "admissions@1", {"sejour": "subject_id"})
        vault.import_table(c, tmp_path / "m.csv", "messages")
        out = sr.erase_subject(c, "P3")
        assert {r["ref"]: r["rows_removed"] for r in out.rewritten} == {
            "patients@1": 1,
            "admissions@1": 1,
            "messages@1": 1,
        }
        assert {r["ref"]: r["linked_by"] for r in out.rewritten}["messages@1"] == ["courriel"]
        assert column(c, "patients@1", "id_patient") == ["P1", "P2"]
        assert column(c, "messages@1", "courriel") == ["luc@example.fr"]
        # one NIR, one address (two spellings: a copy pseudonymized as plain text has its own token)
        assert out.identifiers_linked == {
            "subject_id": 1,
            "nir": 1,
            "email": 1,
            "phone": 0,
            "pseudonym": 4,
        }
    finally:
        c.close()


def test_a_subject_sees_where_they_are_and_what_could_not_be_searched_not_every_dataset(ws):
    me = Workspace.open(ws.root, Actor("P4", Role.SUBJECT))
    try:
        mine = sr.access_report(me, "P4")
    finally:
        me.close()
    assert [s["ref"] for s in mine.searched] == ["patients@1"]
    assert {n["ref"] for n in mine.not_searched} == {"annuaire@1", "legacy@1", "patients@2"}
    custodian = sr.access_report(ws, "P4")  # the custodian sees every search, matches or not
    assert {s["ref"] for s in custodian.searched} == {
        "patients@1",
        "admissions@1",
        "admissions@2",
        "extract@1",
    }
