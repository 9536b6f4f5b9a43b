from __future__ import annotations

import pytest

from bulle.errors import ValidationError
from bulle.services.vault import import_table, profile_dataset, set_roles


def test_all_role_problems_reported_at_once(ws, tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("id_patient,nom,ipp\nP1,Dupont,1\n")
    import_table(ws, p, "t")
    before = profile_dataset(ws, "t")
    with pytest.raises(ValidationError) as err:
        set_roles(ws, "t", {"nope": "other", "nom": "boss", "ipp": "subject_id"})
    messages = [p.message for p in err.value.problems]
    assert len(messages) == 3
    assert any("unknown column 'nope'" in m for m in messages)
    assert any("unknown role 'boss'" in m for m in messages)
    assert any("at most one subject_id" in m for m in messages)
    assert profile_dataset(ws, "t") == before


def test_roles_file_and_confirmation_carry_over(ws, tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("id_patient,nom,x\nP1,Dupont,1\n")
    import_table(ws, p, "t")
    f = tmp_path / "roles.toml"
    f.write_text('[roles]\nx = "quasi_identifier"\n')
    set_roles(ws, "t", roles_file=f, confirm_all=True)
    import_table(ws, p, "t")  # a new version keeps confirmed roles
    cols = {c["name"]: c for c in profile_dataset(ws, "t@2").columns}
    assert cols["x"]["role"] == "quasi_identifier" and cols["x"]["confirmed"]
