"""Pseudonymization: determinism, workspace isolation, key rotation, re-identification."""

from __future__ import annotations

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, InputError
from bulle.services.pseudonymization import pseudonymize, reidentify, rotate_key
from bulle.services.vault import import_table, read_table, resolve, set_roles
from bulle.workspace import Workspace

CSV = (
    "id_patient,nom,courriel,téléphone,ville\nP1,Dupont,Jean.Dupont@exemple.fr,06 12 34 56 78,Lyon\n"
    "P2,Martin,marie@exemple.fr,+33 7 11 22 33 44,Paris\n"
)


@pytest.fixture
def table(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text(CSV)
    return p


def _imported(ws, source, name):
    """Import and confirm the suggested roles, as a custodian does before pseudonymizing."""
    v = import_table(ws, source, name)
    set_roles(ws, v.ref, confirm_all=True)
    return v


def test_tokens_replace_identifiers_in_new_version(ws, table):
    v = _imported(ws, table, "patients")
    out = pseudonymize(ws, v.ref)
    assert out.ref == "patients@2"
    assert set(out.columns) == {"id_patient", "nom", "courriel", "téléphone"}
    rows = read_table(ws, out.ref).to_pylist()
    assert rows[0]["ville"] == "Lyon"
    assert all(rows[0][c].startswith("bp1_") for c in out.columns)
    assert (
        read_table(ws, "patients@1").to_pylist()[0]["nom"] == "Dupont"
    )  # the original is untouched
    new = resolve(ws, out.ref)
    assert new.parents == ["patients@1"] and new.personal_data
    assert (
        new.operation["pseudonymized"] is True and "personal data" in new.operation["legal_status"]
    )


def test_same_input_same_token_across_datasets_with_normalization(ws, tmp_path, table):
    _imported(ws, table, "a")
    other = tmp_path / "o.csv"
    other.write_text("courriel,tel\n  JEAN.DUPONT@exemple.fr ,0612345678\n")
    _imported(ws, other, "b")
    a = read_table(ws, pseudonymize(ws, "a").ref).to_pylist()[0]
    b = read_table(ws, pseudonymize(ws, "b").ref).to_pylist()[0]
    assert a["courriel"] == b["courriel"]
    assert a["téléphone"] == b["tel"]


def test_determinism_and_workspace_isolation(tmp_path, table):
    actor = Actor("alice", Role.CUSTODIAN)
    toks = []
    for name in ("w1", "w2"):
        with Workspace.init(tmp_path / name, actor) as w:
            _imported(w, table, "t")
            first = read_table(w, pseudonymize(w, "t@1").ref).to_pylist()
            again = read_table(w, pseudonymize(w, "t@1").ref).to_pylist()
            assert first == again  # deterministic within a workspace
            toks.append(first[0]["nom"])
    assert toks[0] != toks[1]  # isolated between workspaces


def test_key_rotation_makes_new_versions_with_new_tokens(ws, table):
    _imported(ws, table, "t")
    first = pseudonymize(ws, "t")
    rotated = rotate_key(ws)
    assert rotated.old_key_id != rotated.new_key_id
    assert rotated.versions == [{"from": "t@2", "source": "t@1", "new": "t@3"}]
    old = read_table(ws, first.ref).to_pylist()[0]["nom"]
    new = read_table(ws, "t@3").to_pylist()[0]["nom"]
    assert old != new and rotated.new_key_id in new
    assert read_table(ws, "t@2").to_pylist()[0]["nom"] == old  # t@2 is immutable


def test_reidentification_needs_the_custodian_key(ws, table, tmp_path):
    _imported(ws, table, "t")
    out = pseudonymize(ws, "t", reid_table=True)
    tok = read_table(ws, out.ref).to_pylist()[1]["nom"]
    assert reidentify(ws, out.ref, [tok]).tokens[tok] == {"nom": "Martin"}
    # an attacker's key, or the key of another workspace, cannot read it
    with Workspace.init(tmp_path / "other", Actor("eve", Role.CUSTODIAN)) as other:
        with pytest.raises(AccessDenied):
            reidentify(ws, out.ref, [tok], custodian_key=other.keys_dir / "custodian.key")
    # the table is encrypted at rest: no original value in its bytes
    blob = (ws.root / ws.catalog.artefacts("t")[0]["path"]).read_bytes()
    assert b"Martin" not in blob and b"Dupont" not in blob


def test_confirmed_roles_drive_pseudonymization(ws, table):
    import_table(ws, table, "t")
    set_roles(ws, "t", {"ville": "direct_identifier", "courriel": "other"}, confirm_all=True)
    out = pseudonymize(ws, "t")
    assert "ville" in out.columns and "courriel" not in out.columns


def test_no_identifier_is_an_error(ws, tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("couleur,taille\nrouge,3\n")
    _imported(ws, p, "x")
    with pytest.raises(InputError, match="no direct identifier"):
        pseudonymize(ws, "x")
