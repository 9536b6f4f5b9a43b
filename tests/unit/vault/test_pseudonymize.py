"""Normalization and token format of pseudonyms."""

from __future__ import annotations

import re

import pytest

from bulle.vault.pseudonymize import normalize, token

KEY = bytes(range(32))


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("  Jean.Dupont@Exemple.FR ", "jean.dupont@exemple.fr", "email"),
        ("+33 6 12 34 56 78", "06.12.34.56.78", "phone"),
        ("0033612345678", "0612345678", "phone"),
        ("1 84 12 76 451 089 46", "184127645108946", "nir"),
        ("2 84 12 2a 451 089 80", "284122A45108980", "nir"),
        ("DUPONT", "dupont", "name"),
        ("Le  Gall", "le gall", "name"),
        ("Café", "Cafe\u0301", "text"),  # NFC: composed and decomposed é are the same value
    ],
)
def test_equivalent_spellings_normalize_alike(a, b, kind):
    assert normalize(a, kind) == normalize(b, kind)
    assert token(KEY, "k1", normalize(a, kind)) == token(KEY, "k1", normalize(b, kind))


def test_text_keeps_case():
    assert normalize("Dupont", "text") != normalize("DUPONT", "text")


def test_token_format_is_documented_shape():
    t = token(KEY, "0a1b2c3d", "x")
    assert re.fullmatch(r"bp1_0a1b2c3d_[a-z2-7]{26}", t)


def test_different_keys_give_different_tokens():
    assert token(KEY, "k", "x") != token(bytes(32), "k", "x")
