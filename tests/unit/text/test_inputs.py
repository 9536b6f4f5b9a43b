"""Bad inputs give a clear InputError naming the file and line; odd but valid ones are processed."""

from __future__ import annotations

import json

import pytest

from bulle.errors import InputError
from bulle.text.chunking import chunks
from bulle.text.inputs import atomic_output, read_documents


def test_jsonl_documents_are_read_with_their_records(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text(
        '{"id": 1, "text": "Bonjour"}\n\n{"id": 2, "body": "x", "text": ""}\n', encoding="utf-8"
    )
    docs = list(read_documents(p))
    assert [(d.id, d.text, d.line) for d in docs] == [(1, "Bonjour", 1), (2, "", 3)]
    assert docs[1].record["body"] == "x"


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b'{"id": 1, "text": "ok"}\n{"id": 2, "text": \n', 2, "malformed JSON"),
        (b'{"id": 1, "text": "ok"}\n{"id": 2, "texte": "x"}\n', 2, "missing text field 'text'"),
        (b'{"id": 1, "text": 3}\n', 1, "must be a string"),
        (b"[1, 2]\n", 1, "expected a JSON object"),
        (b'{"id": 1, "text": "ok"}\n{"id": 2, "text": "caf\xe9"}\n', 2, "not valid UTF-8"),
    ],
)
def test_bad_jsonl_names_the_line(tmp_path, content, line, words):
    p = tmp_path / "bad.jsonl"
    p.write_bytes(content)
    with pytest.raises(InputError) as err:
        list(read_documents(p))
    assert err.value.where.line == line
    assert err.value.where.file == str(p)
    assert words in err.value.message


def test_invalid_utf8_in_plain_text_names_the_line(tmp_path):
    p = tmp_path / "doc.txt"
    p.write_bytes("ligne 1\nligne 2\nMme L\xe9a".encode("latin-1"))
    with pytest.raises(InputError) as err:
        list(read_documents(p))
    assert err.value.where.line == 3


def test_missing_input_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        list(read_documents(tmp_path / "none.jsonl"))


def test_text_field_is_configurable(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text(json.dumps({"id": "a", "note": "Bonjour"}) + "\n", encoding="utf-8")
    assert next(read_documents(p, text_field="note")).text == "Bonjour"


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError), atomic_output(out) as f:
        f.write("partial")
        raise RuntimeError("boom")
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("limit", [50, 1000, 4096])
def test_chunks_cover_the_text_exactly_on_boundaries(limit):
    text = ("Première phrase. Deuxième phrase ici, avec une virgule.\n" * 200) + "x" * 3000
    pieces = list(chunks(text, limit))
    assert "".join(p for _, p in pieces) == text
    assert all(len(p) <= limit for _, p in pieces)
    assert all(text[off : off + len(p)] == p for off, p in pieces)
