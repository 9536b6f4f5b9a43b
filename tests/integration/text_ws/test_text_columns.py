"""Free-text columns of a dataset de-identified into a new version, recomputed after an erasure."""

from __future__ import annotations

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import InputError
from bulle.services import subject_rights as sr
from bulle.services import vault
from bulle.services.text import deidentify_columns
from bulle.workspace import Workspace

CSV = (
    "id_patient,commentaire\n"
    "P1,Vu par le Dr Jean Moreau le 12 mars 2025 à Lyon.\n"
    "P2,Mme Claire Dubois appelle au 06 12 34 56 78.\n"
    "P3,Le Dr Jean Moreau revoit la patiente le 3 avril 2025.\n"
)


@pytest.fixture
def ws(tmp_path):
    w = Workspace.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN))
    src = tmp_path / "notes.csv"
    src.write_text(CSV)
    vault.import_table(w, src, "notes")
    vault.set_roles(w, "notes", {"commentaire": "free_text"}, confirm_all=True)
    yield w
    w.close()


def test_text_column_deidentified_consistently_in_new_version(ws):
    out = deidentify_columns(ws, "notes", operator="pseudonym")
    assert out.ref == "notes@2" and out.columns == ["commentaire"]
    before = vault.read_table(ws, "notes@1").column("commentaire").to_pylist()
    after = vault.read_table(ws, "notes@2").column("commentaire").to_pylist()
    assert before[0].startswith("Vu par le Dr Jean Moreau")  # the source is untouched
    for text in after:
        assert "Moreau" not in text and "Dubois" not in text and "06 12 34 56 78" not in text
    # the same doctor gets the same surrogate in two notes
    surrogate = after[0].split("Dr ")[1].split(" le ")[0]
    assert surrogate in after[2]


def test_placeholder_operator_and_unknown_column(ws):
    out = deidentify_columns(ws, "notes", operator="placeholder")
    texts = vault.read_table(ws, out.ref).column("commentaire").to_pylist()
    assert "<PERSON_1>" in texts[0]
    with pytest.raises(InputError, match="unknown column"):
        deidentify_columns(ws, "notes", columns=["nope"])


def test_erasure_recomputes_the_text_version(ws):
    deidentify_columns(ws, "notes", operator="redact")
    out = sr.erase_subject(ws, "P2")
    assert [r["ref"] for r in out.recomputed] == ["notes@2"]
    assert vault.read_table(ws, "notes@2").num_rows == 2


def test_cli_workspace_form(ws):
    import json
    import subprocess
    import sys

    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "bulle",
            "--workspace",
            str(ws.root),
            "text",
            "deidentify-column",
            "notes",
            "--operator",
            "placeholder",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["ref"] == "notes@2" and out["columns"] == ["commentaire"]
