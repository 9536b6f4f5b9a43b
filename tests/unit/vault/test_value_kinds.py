"""Role suggestions from values alone: columns with opaque names (c1, c2...) holding identifiers.

The names say nothing, so every suggestion here comes from the text recognizers (names, first
names, addresses, e-mails, phones, dates, places) and the postcode pattern on sampled values.
"""

from __future__ import annotations

import pytest

from bulle.domain.datasets import ColumnRole
from bulle.vault.classify import suggest_roles

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
    "BONNET",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MULLER",
    "KERGOAT",
]
FIRST_NAMES = [
    "Jean",
    "Marie",
    "Pierre",
    "Sophie",
    "Nicolas",
    "Isabelle",
    "Philippe",
    "Nathalie",
    "Michel",
    "Sylvie",
    "Antoine",
    "Hélène",
    "Mehdi",
    "Fatima",
    "Julien",
    "Aurélie",
    "Thomas",
    "Céline",
    "Karim",
    "Émilie",
    "Camille",
    "Léa",
]
ADDRESSES = [
    f"{n} {street}"
    for n, street in zip(
        range(1, 30, 3),
        [
            "rue des Lilas",
            "avenue Jean-Jaurès",
            "boulevard Voltaire",
            "place de la République",
            "impasse des Acacias",
            "chemin du Moulin",
            "allée des Tilleuls",
            "rue Victor Hugo",
            "quai de la Loire",
            "route de Lyon",
        ],
        strict=False,
    )
] + ["3 bis rue Pasteur, 69003 Lyon"]
PHONES = [
    "06 12 34 56 78",
    "+33 7 11 22 33 44",
    "01.23.45.67.89",
    "0498765432",
    "+33 (0)6 55 44 33 22",
]
EMAILS = ["jean.dupont@exemple.fr", "m.martin@hopital.example.org", "contact+1@mairie-exemple.fr"]
POSTCODES = ["75011", "69003", "13008", "33000", "01000", "97411", "20090", "59000"]
FR_DATES = ["20/11/1979", "05/06/1966", "25/08/1942", "23/03/1982", "01/01/2001"]
ADULT = [
    "Never-married",
    "Married-civ-spouse",
    "Bachelors",
    "HS-grad",
    "United-States",
    "Adm-clerical",
    "Exec-managerial",
    "Private",
    "Self-emp-not-inc",
    "White",
    "Male",
    "<=50K",
]


def col(name, sample, type_="VARCHAR", uniqueness=0.5):
    return {
        "name": name,
        "type": type_,
        "sample": list(sample),
        "uniqueness": uniqueness,
        "mean_length": 10.0,
        "rows": 1000,
    }


@pytest.mark.parametrize(
    ("sample", "type_", "role", "kind"),
    [
        (SURNAMES, "VARCHAR", ColumnRole.DIRECT_IDENTIFIER, "name"),
        ([s.title() for s in SURNAMES], "VARCHAR", ColumnRole.DIRECT_IDENTIFIER, "name"),
        (FIRST_NAMES, "VARCHAR", ColumnRole.DIRECT_IDENTIFIER, "name"),
        (
            [f"{f} {s.title()}" for f, s in zip(FIRST_NAMES, SURNAMES, strict=False)],
            "VARCHAR",
            ColumnRole.DIRECT_IDENTIFIER,
            "name",
        ),
        (ADDRESSES, "VARCHAR", ColumnRole.DIRECT_IDENTIFIER, "text"),
        (PHONES, "VARCHAR", ColumnRole.DIRECT_IDENTIFIER, "phone"),
        (EMAILS, "VARCHAR", ColumnRole.DIRECT_IDENTIFIER, "email"),
        (POSTCODES, "VARCHAR", ColumnRole.QUASI_IDENTIFIER, None),
        # Read as numbers, postcodes of the Ain (01xxx) lost their leading zero.
        ([p.lstrip("0") for p in POSTCODES], "BIGINT", ColumnRole.QUASI_IDENTIFIER, None),
        (FR_DATES, "VARCHAR", ColumnRole.QUASI_IDENTIFIER, None),
        (
            ["12 mars 1980", "3 janvier 1975", "28 février 1990"],
            "VARCHAR",
            ColumnRole.QUASI_IDENTIFIER,
            None,
        ),
        (["1979-11-20", "1966-06-05"], "DATE", ColumnRole.QUASI_IDENTIFIER, None),
        (["2024-01-03 10:00:00"], "TIMESTAMP", ColumnRole.QUASI_IDENTIFIER, None),
        (
            ["Lyon", "Marseille", "Bordeaux", "Brest", "Lille", "Nantes"],
            "VARCHAR",
            ColumnRole.QUASI_IDENTIFIER,
            None,
        ),
    ],
    ids=[
        "surnames",
        "surnames-title",
        "first-names",
        "full-names",
        "addresses",
        "phones",
        "emails",
        "postcodes",
        "postcodes-as-numbers",
        "dates-fr",
        "dates-words",
        "date-type",
        "timestamp-type",
        "towns",
    ],
)
def test_opaque_column_is_classified_by_its_values(sample, type_, role, kind):
    (s,) = suggest_roles([col("c1", sample, type_)])
    assert s.role is role, s.reason
    assert s.identifier_kind == kind
    assert "sampled" in s.reason or "date column" in s.reason


@pytest.mark.parametrize(
    "sample",
    [
        ADULT,
        ["rouge", "vert", "bleu"],
        ["12.5", "130", "7"],
        ["oui", "non"],
        [str(n) for n in range(17, 90)],
        ["<=50K", ">50K"],
    ],
)
def test_ordinary_values_are_not_identifiers(sample):
    (s,) = suggest_roles([col("c1", sample)])
    assert s.role is ColumnRole.OTHER, s.reason


def test_every_date_column_is_a_candidate_quasi_identifier_whatever_its_name():
    # "date_diagnostic" names health data, but a date singles people out as well.
    (s,) = suggest_roles([col("date_diagnostic", ["2024-01-03"], "DATE")])
    assert s.role is ColumnRole.QUASI_IDENTIFIER and "health data" in s.reason
    (s,) = suggest_roles([col("observation", FR_DATES)])
    assert s.role is ColumnRole.QUASI_IDENTIFIER
    # A name that makes the column an identifier still wins.
    (s,) = suggest_roles([col("id_patient", ["2024-01-03"], "DATE", uniqueness=1.0)])
    assert s.role is ColumnRole.SUBJECT_ID


def test_the_sample_read_is_bounded():
    from bulle.vault import value_kinds

    many = [f"{n} rue des Lilas" for n in range(5000)]
    found = value_kinds.detect(many)
    assert found is not None and found[0].name == "address" and found[2] == value_kinds.MAX_VALUES


def test_a_minority_of_names_does_not_make_a_name_column():
    sample = ["Jean", "Marie"] + [f"code-{i}" for i in range(10)]
    (s,) = suggest_roles([col("c1", sample)])
    assert s.role is ColumnRole.OTHER


def test_distinct_codes_are_record_identifiers():
    codes = [f"P{100000 + i}" for i in range(50)]
    (s,) = suggest_roles([col("c1", codes, uniqueness=1.0)])
    assert s.role is ColumnRole.DIRECT_IDENTIFIER and "distinct" in s.reason
    # Repeated codes (a category), distinct words or numbers read as numbers are not.
    (s,) = suggest_roles([col("c1", codes, uniqueness=0.3)])
    assert s.role is ColumnRole.OTHER
    words = [f"valeur {chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(50)]
    (s,) = suggest_roles([col("c1", words, uniqueness=1.0)])
    assert s.role is ColumnRole.OTHER
    (s,) = suggest_roles(
        [col("c1", [str(123456 + 7 * i) for i in range(50)], "BIGINT", uniqueness=1.0)]
    )
    assert s.role is ColumnRole.OTHER
