"""docs/server.md shows the permission table as the code declares it."""

from __future__ import annotations

from pathlib import Path

from bulle.server.permissions import PERMISSIONS, Permission, markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "server.md"


def test_the_page_holds_the_table():
    assert markdown() in DOC.read_text(encoding="utf-8")


def test_a_permission_is_public_or_names_a_role():
    import pytest

    with pytest.raises(TypeError):
        Permission()
    assert all(p.public or p.roles for p in PERMISSIONS.values())
