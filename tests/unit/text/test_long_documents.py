"""Documents longer than one spaCy piece are cut, and their entities point into the original."""

from __future__ import annotations

import pytest

from bulle.text.analyzer import Detector
from bulle.text.config import DetectorConfig


@pytest.fixture(scope="module")
def small_pieces():
    return Detector(DetectorConfig(chunk_chars=2_000))


def test_offsets_are_remapped_and_names_propagated_across_pieces(small_pieces):
    para = "Le patient est suivi pour une insuffisance cardiaque sans complication récente.\n\n"
    text = (
        "M. Jean Dupont est venu à Lyon.\n\n"
        + para * 80
        + "Puis Dupont est reparti le 27 mars 2025.\n"
    )
    assert len(text) > 6_000
    ents = next(small_pieces.detect([text]))
    found = [(text[e.start : e.end], e.label) for e in ents]
    assert ("Jean Dupont", "PERSON") in found
    assert ("27 mars 2025", "DATE") in found
    assert ("Dupont", "PERSON") in found  # the surname alone, thousands of characters later


def test_empty_and_blank_documents_have_no_entities(small_pieces):
    assert list(small_pieces.detect(["", "   \n  "])) == [[], []]


@pytest.mark.slow
def test_five_megabyte_document_is_processed():
    from bulle.text.service import detect

    line = "Mme Claire Lefèvre, née le 14/03/1958, habite 12 rue des Lilas, 75011 Paris.\n"
    text = line * (5_000_000 // len(line) + 1)
    assert len(text) > 1_000_000  # beyond spaCy's default max_length
    (ents,) = detect([text])
    assert sum(1 for e in ents if e.label == "DATE") == text.count("14/03/1958")
