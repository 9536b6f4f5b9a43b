"""A workspace is readable by its owner only, whatever the umask it was made under.

Checked by reading: a child process dropped to uid 65534 (another local account) must read no
data file, catalog, audit log, artefact, cache or key, and list no folder, while the workspace is
open (SQLite's -wal/-shm files exist then) and after it is closed. The files are private on their
own too: with every folder opened to others (a lax parent, a careless `chmod`), no file reads.
"""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest

from bulle.anonymization.builders import interval_rows
from bulle.anonymization.hierarchy import Hierarchy
from bulle.anonymization.spec import AnonymizationSpec, ModelSpec
from bulle.domain.actor import Actor, Role
from bulle.domain.consents import Consent
from bulle.services import governance as gov
from bulle.services import subject_rights
from bulle.services.anonymization import anonymize_dataset
from bulle.services.pseudonymization import pseudonymize
from bulle.services.vault import import_table, set_roles
from bulle.workspace import Workspace

PATIENTS = "id_patient,nom,NIR,diagnostic,age\n" + "".join(
    f"P{i},Nom{i},1840{i}75123456,{'E11' if i % 2 else 'I10'},{30 + i}\n" for i in range(1, 7)
)
NOW = dt.datetime.now(dt.UTC)


def _use(root, tmp):
    """Create a workspace and touch every kind of file it writes: versions, a re-identification
    table, a release with its hierarchy and reports, an erasure that rewrites versions and replaces
    artefacts, a consent cache."""
    ws = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    src = tmp / "patients.csv"
    src.write_text(PATIENTS)
    import_table(ws, src, "patients")
    set_roles(ws, "patients@1", confirm_all=True)
    pseudonymize(ws, "patients@1", reid_table=True)
    gov.declare_purpose(
        ws,
        "care",
        "Soins",
        "public_task",
        special_categories=True,
        art9_condition="health_care",
        compatible_with=["research"],
    )
    gov.declare_purpose(
        ws,
        "research",
        "Recherche",
        "consent",
        special_categories=True,
        art9_condition="explicit_consent",
    )
    gov.set_dataset_purpose(ws, "patients", "care")
    gov.record_choices(
        ws,
        [
            Consent(f"P{i}", "research", "given", NOW - dt.timedelta(days=3), "form")
            for i in range(1, 5)
        ],
    )
    gov.create_project(
        ws,
        "diabete",
        "research",
        {"patients": ["id_patient", "diagnostic"]},
        [("bob", "analyst")],
        NOW - dt.timedelta(days=10),
        NOW + dt.timedelta(days=30),
        kind="pseudonymize",
    )
    gov.approve_project(ws, "diabete")
    ages = [str(30 + i) for i in range(1, 7)]
    spec = AnonymizationSpec(
        quasi_identifiers=("age",),
        hierarchies={"age": Hierarchy.from_rows(interval_rows(ages, 5, [2]), "age")},
        models=(ModelSpec("k-anonymity", None, {"k": 2}),),
        suppression_limit=0.5,
        metric="loss",
    )
    anonymize_dataset(
        ws, "patients@1", spec, drop=["diagnostic"]
    )  # a release with hierarchy and risk reports
    subject_rights.erase_subject(ws, "P2")
    analyst = Workspace.open(root, Actor("bob", Role.ANALYST))
    try:
        gov.read_for_project(analyst, "diabete", "patients")  # fills the consent cache
    finally:
        analyst.close()
    return ws


def _everything(root):
    paths = [root]
    for dirpath, dirs, files in os.walk(root):
        paths += [os.path.join(dirpath, n) for n in dirs + files]
    return paths


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_another_local_user_reads_nothing(open_dir, nobody_reads, umask):
    root = open_dir / "ws"
    old = os.umask(umask)
    try:
        ws = _use(root, open_dir)
        try:
            names = {os.path.relpath(p, root) for p in _everything(root)}
            for expected in (
                "catalog.sqlite",
                "catalog.sqlite-wal",
                "audit/log.jsonl",
                "keys/custodian.key",
                "keys/audit-ed25519.key",
                "lock",
                "bulle.toml",
                "cache",
            ):
                assert expected in names, expected
            assert any(n.startswith("data/patients/") for n in names)
            assert any(n.endswith("reid.bin") for n in names)
            assert any(n.endswith("risk.html") for n in names) and any(
                "hierarchy-age" in n for n in names
            )
            assert any(n.startswith("keys/pseudonym-") for n in names)
            assert any(n.startswith("cache/") and n.endswith(".parquet") for n in names)
            assert nobody_reads(_everything(root)) == set()  # open: -wal and -shm included
        finally:
            ws.close()
        assert os.umask(umask) == umask  # closing gave the process its umask back
    finally:
        os.umask(old)
    everything = _everything(root)
    assert nobody_reads(everything) == set()
    # the files are private themselves: open every folder to others, still nothing reads
    for p in everything:
        if os.path.isdir(p):
            os.chmod(p, 0o755)
    files = [p for p in everything if os.path.isfile(p)]
    assert nobody_reads(files) == set()
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in files} == {0o600}
