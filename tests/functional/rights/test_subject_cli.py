"""`bulle subject access-report` and `subject erase`: a person found by NIR in a dataset with no
subject id, and the versions that could not be searched, in both the JSON and the text output."""

from __future__ import annotations


def nir(i: int) -> str:
    base = f"1850578006{i:03d}"
    return f"{base}{97 - int(base) % 97:02d}"


def test_subject_commands_reach_a_copy_held_by_nir(tmp_path, bulle):
    (tmp_path / "p.csv").write_text(
        "id_patient,nir,age\n" + "".join(f"P{i},{nir(i)},{30 + i}\n" for i in (1, 2, 3))
    )
    (tmp_path / "a.csv").write_text(
        "nir,nom\n" + "".join(f"{nir(i)},Nom{i}\n" for i in (1, 2, 2, 3))
    )
    (tmp_path / "n.csv").write_text("nom,prenom\nNom2,Luc\n")
    ws = str(tmp_path / "ws")
    assert bulle("init", ws).code == 0
    for f, name in (("p.csv", "patients"), ("a.csv", "adm"), ("n.csv", "noms")):
        assert bulle("-w", ws, "import", tmp_path / f, "--dataset", name).code == 0

    report = bulle("-w", ws, "subject", "access-report", "P2", "--json")
    assert report.code == 0, report.err
    held = {v["ref"]: v for v in report.json()["versions"]}
    assert held["adm@1"]["rows"] == 2 and held["adm@1"]["linked_by"] == ["nir"]
    assert [n["ref"] for n in report.json()["not_searched"]] == ["noms@1"]

    text = bulle("-w", ws, "subject", "erase", "P2", "--yes")
    assert text.code == 0, text.err
    assert "adm@1 (-2 rows, by nir)" in text.out and "not searched: noms@1" in text.out
    assert nir(2) not in text.out and "Nom2" not in text.out
    shown = bulle("-w", ws, "show", "adm@1", "--json")
    assert nir(2) not in shown.out and nir(1) in shown.out
