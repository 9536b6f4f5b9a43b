"""The web UI's small parts: the CSRF field read from forms, redirects kept on this server, the
lineage layout, the catalogs complete in French, the report's style confined to the report."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulle.web.errors import safe_next
from bulle.web.forms import token_in_multipart, token_in_urlencoded
from bulle.web.lineage import layout, lineage_svg

BOUNDARY = b"----bulleBoundary42"
CTYPE = b"multipart/form-data; boundary=" + BOUNDARY


def part(name: str, value: bytes, filename: str | None = None) -> bytes:
    extra = f'; filename="{filename}"' if filename else ""
    return (
        b"--" + BOUNDARY + b"\r\n"
        + f'Content-Disposition: form-data; name="{name}"{extra}\r\n\r\n'.encode()
        + value + b"\r\n"
    )  # fmt: skip


def test_the_token_is_read_from_a_urlencoded_form():
    assert token_in_urlencoded(b"name=x&csrf_token=abc-DEF_1&y=2") == "abc-DEF_1"
    assert token_in_urlencoded(b"name=x") is None


def test_the_token_is_read_from_the_first_part_of_an_upload_only():
    body = part("csrf_token", b"tok_123") + part("file", b"a,b\n", "f.csv") + b"--" + BOUNDARY
    assert token_in_multipart(body, CTYPE) == "tok_123"
    later = part("file", b"csrf_token", "f.csv") + part("csrf_token", b"tok_123")
    assert token_in_multipart(later + b"--" + BOUNDARY, CTYPE) is None
    assert token_in_multipart(body, b"multipart/form-data") is None  # no boundary


@given(st.binary(max_size=300))
def test_a_file_never_passes_for_the_token(content):
    """Whatever a file holds, a token is found only in a first part named csrf_token."""
    body = part("file", content, "f.csv") + b"--" + BOUNDARY
    assert token_in_multipart(body, CTYPE) is None


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/audit?who=bob", "/audit?who=bob"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_sign_in_the_browser_stays_on_this_server(target, kept):
    assert safe_next(target) == kept


def test_the_lineage_puts_each_version_right_of_its_parents():
    versions = [
        {"ref": "p@1", "kind": "import", "parents": []},
        {"ref": "p@2", "kind": "pseudonymize", "parents": ["p@1"]},
        {"ref": "p@3", "kind": "anonymize", "parents": ["p@2"]},
        {"ref": "p@4", "kind": "anonymize", "parents": ["p@2"]},
        {"ref": "p@5", "kind": "join", "parents": ["p@4", "q@1"]},
    ]
    place = layout(versions)
    assert place["p@1"][0] == 0 and place["q@1"][0] == 0
    assert place["p@2"][0] == 1 and place["p@3"][0] == place["p@4"][0] == 2
    assert place["p@5"][0] == 3
    assert len(set(place.values())) == len(place)  # no two boxes on one spot
    svg = lineage_svg(versions)
    assert svg.count("<line") == 5 and svg.count("<rect") == 6
    assert "q@1" in svg


def test_the_lineage_escapes_what_it_draws():
    svg = lineage_svg([{"ref": "<script>@1", "kind": "import", "parents": []}])
    assert "<script>" not in svg and "&lt;script&gt;@1" in svg


def test_every_text_of_the_ui_has_its_french():
    from babel.messages.pofile import read_po

    from bulle.web.i18n import po_path
    from bulle.web.messages import all_messages

    with po_path("fr").open("rb") as f:
        french = {m.id: m.string for m in read_po(f) if m.id}
    missing = sorted(m for m in all_messages() if not french.get(m))
    assert not missing, f"texts without French (python -m bulle.web.messages): {missing}"


def test_french_is_the_default_and_english_is_chosen_by_cookie():
    from bulle.web.i18n import gettext, language_of

    assert language_of({}) == "fr" and language_of({"bulle_lang": "de"}) == "fr"
    assert language_of({"bulle_lang": "en"}) == "en"
    assert gettext("fr")("Sign in") == "Se connecter"
    assert gettext("en")("Sign in") == "Sign in"


def test_the_report_style_is_confined_to_the_report():
    from bulle.web.pages_anonymize import scoped_css

    css = scoped_css("body{margin:0}\n.card .k{color:red}\nh1,h2{font-size:2px}")
    assert css.splitlines() == [
        ".risk-report{margin:0}",
        ".risk-report .card .k{color:red}",
        ".risk-report h1,.risk-report h2{font-size:2px}",
    ]
