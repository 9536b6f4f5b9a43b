"""Fixtures of the model tests (the workspace itself is built by ``world.py``)."""

from __future__ import annotations

import pytest
from tests.integration.models.world import make_world, people_csv


@pytest.fixture
def world(tmp_path):
    ws = make_world(tmp_path / "ws", people_csv(300), 300)
    yield ws
    ws.close()
