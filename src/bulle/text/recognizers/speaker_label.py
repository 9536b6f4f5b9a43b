"""PERSON in speaker labels of transcripts: "[M. Dupont]", "Dupont :", "Jean Dupont (LFI) :",
"DUPONT. -", "M. DUPONT. –", "[00:01:36] fontanel :".

A line that starts with "Word :" is as often a form field ("Adresse :", "Vote :") as a speaker,
so a label is a name only when something says so: a title, a known first name or surname, capitals
throughout ("DUFOUR"), a time stamp before it (automatic transcripts, where case is lost), or the
same label opening several lines of the document. Role labels ("Question", "Journaliste",
"Le Président", "ENQ") and field names (``data/field_labels.txt``) never are.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import regex
from presidio_analyzer import LocalRecognizer

from bulle.text.gazetteers import first_names, fold, folded_surnames, gazetteer_words, not_names
from bulle.text.patterns import ROLE, ROLE_WORDS, TITLE, TITLE_WORDS
from bulle.text.recognizers.base import make_result
from bulle.text.registry import register

STAMP = r"(?:\[?\(?\d{1,2}:\d\d(?::\d\d)?(?:[.,]\d+)?\)?\]?[ \t]*(?:-[ \t]*)?)"
WORD = r"[\p{L}][\p{L}\p{M}'’.-]*"
LOWER_NAME = rf"{WORD}(?:[ \u00a0]{WORD}){{0,4}}"
CAP_WORD = r"\p{Lu}[\p{L}\p{M}'’-]*"
CAP_NAME = (
    rf"(?:\p{{Lu}}\.[ \u00a0]?(?:-?\p{{Lu}}\.[ \u00a0]?)?)?{CAP_WORD}"
    rf"(?:[ \u00a0](?:(?:de|du|des|de la|d'|van|von|der|le|la|ben|el|al)[ \u00a0]?)?{CAP_WORD}){{0,3}}"
)
CAPS = r"\p{Lu}[\p{Lu}'’-]*\p{Lu}"

PATTERNS = [
    (
        "bracket",
        regex.compile(
            rf"^[ \t]*{STAMP}?\[(?:(?P<t>{TITLE})[ \u00a0]+)?(?P<e>[^\]\n:]{{2,60}}?)\]", regex.M
        ),
    ),
    (
        "stamp",
        regex.compile(
            rf"^[ \t]*{STAMP}(?:(?P<t>{TITLE})[ \u00a0]+)?(?P<e>{LOWER_NAME})[ \t]*"
            rf"(?:\([^)\n]{{0,60}}\)[ \t]*)?:",
            regex.M,
        ),
    ),
    (
        "colon",
        regex.compile(
            rf"^[ \t>*-]*(?:(?P<t>{TITLE})[ \u00a0]+)?(?!{ROLE})(?P<e>{CAP_NAME})[ \t]*"
            rf"(?:\([^)\n]{{0,60}}\)[ \t]*)?(?::|-{{1,2}}>)[ \t]",
            regex.M,
        ),
    ),
    (
        "caps_dash",
        regex.compile(
            rf"^[ \t]*(?:(?P<t>{TITLE})[ \u00a0]+)?(?P<e>{CAPS}(?:[ '’-]{CAPS}){{0,3}})"
            rf"[ \t]*[.,]?[ \t]*[-–—][ \t]",
            regex.M,
        ),
    ),
    (
        "caps_line",
        regex.compile(
            rf"^[ \t]*(?:(?P<t>{TITLE})[ \u00a0]+)?(?P<e>{CAPS}(?:[ '’-]{CAPS}){{1,3}})[ \t]*$(?=\n)",
            regex.M,
        ),
    ),
    (
        "title_dash",
        regex.compile(
            rf"^[ \t]*(?P<t>{TITLE})[ \u00a0]+(?!{ROLE})(?P<e>{CAP_NAME})"
            rf"[ \t]*[.,][ \t]*[-–—][ \t]",
            regex.M,
        ),
    ),
]

PARTICLES = frozenset({"de", "du", "des", "la", "le", "van", "von", "der", "d'", "ben", "el", "al"})


@cache
def field_labels() -> frozenset[str]:
    return frozenset(fold(w) for w in gazetteer_words("field_labels.txt"))


def _content_words(span: str) -> list[str]:
    words = [w.strip(".,") for w in span.replace("’", "'").split()]
    return [
        w
        for w in words
        if w and fold(w) not in PARTICLES and fold(w).rstrip(".") not in TITLE_WORDS
    ]


@cache
def _org_and_place_names() -> frozenset[str]:
    from bulle.text.gazetteers import organizations, places

    return frozenset(fold(x) for x in (*organizations(), *places()))


def _refused(span: str) -> bool:
    words = _content_words(span)
    if not words or len(words) > 5 or fold(span) in _org_and_place_names():
        return True
    return any(
        fold(w) in not_names() or fold(w) in field_labels() or fold(w) in ROLE_WORDS for w in words
    ) or any(c.isdigit() for c in span)


def _supported(span: str, kind: str, has_title: bool, repeats: int) -> bool:
    words = _content_words(span)
    if has_title or kind == "stamp":
        return True
    if kind == "caps_line":  # a name alone on its line, in capitals, before what it says
        keys = [fold(w) for w in words]
        return repeats >= 2 or any(
            k in first_names() or k.split("-")[0] in first_names() for k in keys
        )
    keys = [fold(w) for w in words]
    if any(k in first_names() or k.split("-")[0] in first_names() for k in keys):
        return True
    if any(k in folded_surnames() for k in keys):
        return True
    if all(w.isupper() for w in words):
        # "DUFOUR" is a name; "ENQ", "INT", "Q" are abbreviations of roles
        return sum(len(w) for w in words) >= 4
    if len(words) >= 2 and all(w[:1].isupper() for w in words):
        return True
    return repeats >= 2


class SpeakerLabelRecognizer(LocalRecognizer):
    def __init__(self):
        super().__init__(
            supported_entities=["PERSON"], supported_language="fr", name="bulle_speaker_label"
        )

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities, nlp_artifacts=None):
        found = []
        for kind, rx in PATTERNS:
            for m in rx.finditer(text):
                span = m.group("e").strip()
                if not span or _refused(span):
                    continue
                start = m.start("e") + (len(m.group("e")) - len(m.group("e").lstrip()))
                found.append((kind, start, start + len(span), span, bool(m.group("t"))))
        counts = Counter(fold(s) for _, _, _, s, _ in found)
        out, seen = [], set()
        for kind, start, end, span, titled in found:
            if (start, end) in seen or not _supported(span, kind, titled, counts[fold(span)]):
                continue
            seen.add((start, end))
            out.append(make_result(self, "PERSON", start, end, 0.9))
        return out


@register("speaker_label")
def build(config):
    return SpeakerLabelRecognizer()
