"""A release from a table whose column names say nothing (c1, c2, ...).

Names, first names, birth dates, postcodes, phones, e-mails and addresses under opaque names:
profiling must see them in the values; a release or a pseudonymization must wait for confirmed
roles; every column of a release is generalized, dropped or kept on purpose; a release keeping an
identifier is personal data. Through the real services, on a real workspace.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from bulle.anonymization.builders import date_rows, mask_rows
from bulle.anonymization.hierarchy import Hierarchy
from bulle.anonymization.spec import AnonymizationSpec, ModelSpec
from bulle.domain.actor import Actor, Role
from bulle.errors import ValidationError
from bulle.services.anonymization import anonymize_dataset
from bulle.services.pseudonymization import pseudonymize
from bulle.services.vault import import_table, profile_dataset, set_roles
from bulle.workspace import Workspace

SURNAMES = [
    "DUPONT",
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFEBVRE",
    "LEROY",
    "ROUX",
    "FOURNIER",
    "GIRARD",
]
FIRST = [
    "Jean",
    "Marie",
    "Pierre",
    "Sophie",
    "Nicolas",
    "Isabelle",
    "Philippe",
    "Nathalie",
    "Julien",
    "Sylvie",
    "Antoine",
    "Hélène",
    "Mehdi",
    "Fatima",
    "Karim",
    "Aurélie",
    "Céline",
    "Émilie",
]
STREETS = [
    "rue des Lilas",
    "avenue Jean-Jaurès",
    "boulevard Voltaire",
    "impasse des Acacias",
    "chemin du Moulin",
    "allée des Tilleuls",
    "rue Victor Hugo",
    "route de Lyon",
]
POSTCODES = ["75011", "75012", "69003", "69007"]
ROWS = 80
EXPECTED = {
    "c1": "direct_identifier",
    "c2": "direct_identifier",
    "c3": "quasi_identifier",
    "c4": "quasi_identifier",
    "c5": "direct_identifier",
    "c6": "direct_identifier",
    "c7": "direct_identifier",
    "c8": "other",
}
IDENTIFIERS = ("c1", "c2", "c5", "c6", "c7")


def _rows() -> list[list[str]]:
    out = []
    for i in range(ROWS):
        last, first = SURNAMES[i % len(SURNAMES)], FIRST[(i * 7) % len(FIRST)]
        out.append(
            [
                last,
                first,
                f"19{50 + i % 30}-{1 + i % 12:02d}-{1 + i % 27:02d}",
                POSTCODES[i % 4],
                f"06 {10 + i:02d} {20 + i % 50:02d} 34 56",
                f"{first.lower()}.{last.lower()}{i}@exemple.fr",
                f"{1 + i} {STREETS[i % len(STREETS)]}",
                str(100 + i % 40),
            ]
        )
    return out


@pytest.fixture
def ws(tmp_path):
    csv = tmp_path / "opaque.csv"
    csv.write_text(
        "c1,c2,c3,c4,c5,c6,c7,c8\n" + "".join(",".join(r) + "\n" for r in _rows()), encoding="utf-8"
    )
    w = Workspace.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN))
    import_table(w, csv, "opaque")
    yield w
    w.close()


def _spec(w: Workspace) -> AnonymizationSpec:
    t = pq.read_table(w.path_of(w.catalog.resolve("opaque@1")), columns=["c3", "c4"])
    dates = [str(v) for v in t.column("c3").to_pylist()]
    codes = [str(v) for v in t.column("c4").to_pylist()]
    return AnonymizationSpec(
        quasi_identifiers=("c3", "c4"),
        hierarchies={
            "c3": Hierarchy.from_rows(date_rows(dates, ("year", "decade")), "c3"),
            "c4": Hierarchy.from_rows(mask_rows(codes, keep=[3, 2]), "c4"),
        },
        models=(ModelSpec("k-anonymity", None, {"k": 3}),),
        suppression_limit=0.1,
        metric="loss",
    )


def _versions(w: Workspace) -> list[str]:
    return [v.ref for v in w.catalog.versions("opaque")]


def test_values_reveal_identifiers_under_opaque_names(ws):
    roles = {c["name"]: c["role"] for c in profile_dataset(ws, "opaque").columns}
    assert roles == EXPECTED


def test_release_waits_for_confirmed_roles_and_drops_every_identifier(ws):
    spec = _spec(ws)
    with pytest.raises(ValidationError) as refused:
        anonymize_dataset(ws, "opaque", spec)
    assert {p.where.column for p in refused.value.problems} == set(EXPECTED)
    with pytest.raises(ValidationError):
        pseudonymize(ws, "opaque")
    assert _versions(ws) == ["opaque@1"]

    set_roles(ws, "opaque", confirm_all=True)
    # c8 ("other") is neither generalized nor protected: the custodian must say what to do with it.
    with pytest.raises(ValidationError) as unaccounted:
        anonymize_dataset(ws, "opaque", spec)
    assert [p.where.column for p in unaccounted.value.problems] == ["c8"]
    assert _versions(ws) == ["opaque@1"]

    out = anonymize_dataset(ws, "opaque", spec, drop=["c8"])
    assert out["anonymous"] and set(out["dropped"]) == {*IDENTIFIERS, "c8"} and out["kept"] == []
    release = ws.catalog.resolve(out["ref"])
    assert not release.personal_data
    assert [c["name"] for c in release.schema] == ["c3", "c4"]
    text = " ".join(str(v) for v in pq.read_table(ws.path_of(release)).to_pylist())
    source = pq.read_table(ws.path_of(ws.catalog.resolve("opaque@1"))).to_pylist()
    for row in source:
        for c in IDENTIFIERS:
            assert row[c] not in text


def test_a_kept_identifier_is_measured_and_makes_the_release_personal_data(ws):
    set_roles(ws, "opaque", confirm_all=True)
    out = anonymize_dataset(ws, "opaque", _spec(ws), keep=["c1", "c8"])
    release = ws.catalog.resolve(out["ref"])
    assert release.personal_data and out["personal_data"] is True
    assert (
        out["kept_identifiers"] == ["c1"] and "personal data" in release.operation["legal_status"]
    )
    assert release.operation["kept"] == ["c1", "c8"]
    assert set(out["dropped"]) == {"c2", "c5", "c6", "c7"}
    # The risk report measures the kept columns with the quasi-identifiers.
    assert any("c1" in n and "c8" in n for n in out["risk"]["notes"])
    assert out["risk"]["prosecutor"]["max_risk"] > 1 / 3


def test_contradictory_decisions_are_all_reported_and_nothing_is_written(ws):
    from dataclasses import replace

    set_roles(ws, "opaque", confirm_all=True)
    spec = _spec(ws)
    with pytest.raises(ValidationError) as bad:
        anonymize_dataset(ws, "opaque", spec, keep=["c8"], drop=["c8", "c3", "nope"])
    messages = " | ".join(p.message for p in bad.value.problems)
    assert (
        "'nope'" in messages
        and "both kept and dropped" in messages
        and "'c3' is named by --drop" in messages
    )
    # A sensitive column that no privacy model protects is not accounted for either.
    with pytest.raises(ValidationError) as unprotected:
        anonymize_dataset(ws, "opaque", replace(spec, sensitive=("c8",)))
    assert [p.where.column for p in unprotected.value.problems] == ["c8"]
    assert "no privacy model" in unprotected.value.problems[0].message
    assert _versions(ws) == ["opaque@1"]
