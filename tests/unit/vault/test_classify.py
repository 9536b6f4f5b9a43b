"""Role suggestions on a French table, from names and from values."""

from __future__ import annotations

import pytest

from bulle.domain.datasets import ColumnRole
from bulle.vault.classify import fold, suggest_roles


def col(name, type_="VARCHAR", sample=(), uniqueness=0.5, mean_length=8.0, rows=1000):
    return {
        "name": name,
        "type": type_,
        "sample": list(sample),
        "uniqueness": uniqueness,
        "mean_length": mean_length,
        "rows": rows,
    }


FRENCH_TABLE = [
    (col("id_patient", uniqueness=1.0), ColumnRole.SUBJECT_ID),
    (col("nom"), ColumnRole.DIRECT_IDENTIFIER),
    (col("prénom"), ColumnRole.DIRECT_IDENTIFIER),
    (col("NIR"), ColumnRole.DIRECT_IDENTIFIER),
    (col("numéro de sécurité sociale"), ColumnRole.DIRECT_IDENTIFIER),
    (col("code_postal"), ColumnRole.QUASI_IDENTIFIER),
    (col("commune"), ColumnRole.QUASI_IDENTIFIER),
    (col("date_naissance", "DATE"), ColumnRole.QUASI_IDENTIFIER),
    (col("sexe"), ColumnRole.QUASI_IDENTIFIER),
    (col("téléphone"), ColumnRole.DIRECT_IDENTIFIER),
    (col("courriel"), ColumnRole.DIRECT_IDENTIFIER),
    (col("diagnostic"), ColumnRole.SPECIAL_CATEGORY),
    (col("commentaire", mean_length=120, uniqueness=0.9), ColumnRole.FREE_TEXT),
    (col("religion"), ColumnRole.SPECIAL_CATEGORY),
    (col("montant"), ColumnRole.OTHER),
]


@pytest.mark.parametrize(
    ("column", "expected"), FRENCH_TABLE, ids=[c["name"] for c, _ in FRENCH_TABLE]
)
def test_french_column_names(column, expected):
    (suggestion,) = suggest_roles([column])
    assert suggestion.role is expected
    assert suggestion.reason


def test_whole_french_table_has_one_subject_id_and_reasons():
    suggestions = suggest_roles([c for c, _ in FRENCH_TABLE])
    assert [s.role for s in suggestions] == [r for _, r in FRENCH_TABLE]
    assert sum(s.role is ColumnRole.SUBJECT_ID for s in suggestions) == 1


@pytest.mark.parametrize(
    ("sample", "expected", "kind"),
    [
        (["jean.dupont@exemple.fr", "a.b@c.org"], ColumnRole.DIRECT_IDENTIFIER, "email"),
        (
            ["06 12 34 56 78", "+33 7 12 34 56 78", "01.23.45.67.89"],
            ColumnRole.DIRECT_IDENTIFIER,
            "phone",
        ),
        (["184127645108946", "2 84 12 2A 451 089 80"], ColumnRole.DIRECT_IDENTIFIER, "nir"),
        (["E11.9", "I10", "C50.9"], ColumnRole.SPECIAL_CATEGORY, None),
        (["rouge", "vert"], ColumnRole.OTHER, None),
    ],
)
def test_values_classify_columns_with_opaque_names(sample, expected, kind):
    (s,) = suggest_roles([col("x1", sample=sample)])
    assert s.role is expected
    assert s.identifier_kind == kind


def test_invalid_nir_key_is_not_a_nir():
    (s,) = suggest_roles([col("x1", sample=["184127645108947", "184127645108948"])])
    assert s.role is ColumnRole.OTHER


def test_low_cardinality_id_column_is_not_a_subject_id():
    (s,) = suggest_roles([col("id", uniqueness=0.001, rows=10000)])
    assert s.role is not ColumnRole.SUBJECT_ID


def test_two_subject_id_candidates_keep_the_most_distinct():
    out = suggest_roles([col("patient_id", uniqueness=0.4), col("ipp", uniqueness=1.0)])
    assert [s.role for s in out] == [ColumnRole.DIRECT_IDENTIFIER, ColumnRole.SUBJECT_ID]


def test_fold():
    assert fold("Prénom_Patient") == "prenom patient"
    assert fold("dateNaissance") == "date naissance"
