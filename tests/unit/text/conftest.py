"""One detector per test session: loading spaCy's model takes seconds."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def detector():
    from bulle.text.analyzer import get_detector

    return get_detector()


@pytest.fixture(scope="session")
def detect(detector):
    def run(text: str) -> list[tuple[str, str]]:
        ents = next(detector.detect([text]))
        return [(text[e.start:e.end], e.label) for e in ents]

    return run
