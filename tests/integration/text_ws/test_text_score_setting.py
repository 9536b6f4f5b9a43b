"""The workspace's text.score_threshold decides what de-identification drops; it is recorded."""

from __future__ import annotations

import pytest

from bulle.domain.actor import Actor, Role
from bulle.services import subject_rights as sr
from bulle.services import vault
from bulle.services.settings import set_setting
from bulle.services.text import deidentify_columns
from bulle.workspace import Workspace

CSV = "id_patient,commentaire\nP1,Rappeler le 06 12 34 56 78.\nP2,Rappeler le 06 98 76 54 32.\n"


@pytest.fixture
def ws(tmp_path):
    w = Workspace.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN))
    src = tmp_path / "notes.csv"
    src.write_text(CSV)
    vault.import_table(w, src, "notes")
    vault.set_roles(w, "notes", {"commentaire": "free_text"}, confirm_all=True)
    yield w
    w.close()


def _texts(ws, ref):
    return vault.read_table(ws, ref).column("commentaire").to_pylist()


def test_a_higher_score_threshold_keeps_weak_detections_and_a_recomputation_keeps_it(ws):
    first = deidentify_columns(ws, "notes", operator="placeholder")
    assert all("06 " not in t for t in _texts(ws, first.ref))  # a phone number scores under 1
    assert first.version["operation"]["score_threshold"] == 0.4
    set_setting(ws, "text.score_threshold", "1.0")
    second = deidentify_columns(ws, "notes@1", operator="placeholder")
    assert _texts(ws, second.ref) == _texts(ws, "notes@1")  # nothing scores above 1.0 here
    assert second.version["operation"]["score_threshold"] == 1.0
    set_setting(ws, "text.score_threshold", "0.4")
    sr.erase_subject(ws, "P1")  # recomputes both text versions, each with its recorded threshold
    assert _texts(ws, second.ref) == ["Rappeler le 06 98 76 54 32."]
    assert all("06 " not in t for t in _texts(ws, first.ref))
