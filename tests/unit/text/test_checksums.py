"""Checksums of French identifiers: valid and invalid keys, Corsica, La Poste."""

from __future__ import annotations

import pytest

from bulle.text.checksums import (
    iban_valid,
    luhn_valid,
    nir_key,
    nir_valid,
    siren_valid,
    siret_valid,
)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1 84 12 76 451 089 46", True),
        ("184127645108946", True),
        ("1 84 12 76 451 089 47", False),
        ("2 91 07 2A 004 231 74", None),  # computed below
        ("9 84 12 76 451 089 46", False),
        ("1 84 12 76 451 089", False),
    ],
)
def test_nir(value, ok):
    if ok is None:  # Corsica: 2A counts as 19 in the key
        body = "2910719004231"
        key = 97 - int(body) % 97
        value = f"2 91 07 2A 004 231 {key:02d}"
        assert nir_key("29107" + "2A" + "004231") == key
        assert nir_valid(value)
        assert not nir_valid(f"2 91 07 2A 004 231 {(key + 1) % 97:02d}")
        return
    assert nir_valid(value) is ok


def test_nir_corsica_2b_counts_as_18():
    body = "1750218" + "123456"
    key = 97 - int(body) % 97
    assert nir_valid("17502" + "2B" + "123456" + f"{key:02d}")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", True),
        ("FR7630006000011234567890189", True),
        ("FR76 3000 6000 0112 3456 7890 188", False),
        ("DE89 3704 0044 0532 0130 00", True),
        ("XX00", False),
    ],
)
def test_iban(value, ok):
    assert iban_valid(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("4970101074887527", False),
        ("4111111111111111", True),
        ("79927398713", True),
        ("", False),
    ],
)
def test_luhn(value, ok):
    assert luhn_valid(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("732 829 320", True),
        ("732829320", True),
        ("732 829 321", False),
        ("12345678", False),
    ],
)
def test_siren(value, ok):
    assert siren_valid(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("732 829 320 00074", True),
        ("73282932000074", True),
        ("73282932000075", False),
        ("356 000 000 00010", True),  # La Poste: digit sum divisible by 5
        ("356 000 000 00011", False),
    ],
)
def test_siret(value, ok):
    assert siret_valid(value) is ok
