"""Run a costly Presidio recognizer only on the parts of a text that could hold a match.

Why: Presidio's URL, e-mail, IP and phone recognizers run heavy regular expressions (or
``phonenumbers``' matcher) over the whole text; most of a French document has no dot inside a
word, no '@' and few digits. Candidates are whitespace-delimited stretches (or lines, for phone
numbers) that pass a cheap test; results are shifted back to document offsets.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

WORD = regex.compile(r"\S+")
_QUICK: dict[str, regex.Pattern] = {}


def windows(
    text: str,
    keep: Callable[[str], bool],
    by_line: bool = False,
    pad: int = 0,
    quick: regex.Pattern | None = None,
):
    """Yield (offset, piece) of the pieces that pass ``keep``, adjacent ones joined; ``quick``,
    a pattern every candidate contains, skips the text when absent."""
    if quick is not None and not quick.search(text):
        return
    if by_line:
        pos = 0
        for line in text.split("\n"):
            if keep(line):
                yield pos, line
            pos += len(line) + 1
        return
    cur_s = cur_e = -1
    for m in WORD.finditer(text):
        if not keep(m.group()):
            continue
        s, e = max(0, m.start() - pad), m.end()
        if cur_e >= 0 and s <= cur_e + 1:
            cur_e = e
            continue
        if cur_e >= 0:
            yield cur_s, text[cur_s:cur_e]
        cur_s, cur_e = s, e
    if cur_e >= 0:
        yield cur_s, text[cur_s:cur_e]


def run_windowed(
    analyze,
    text: str,
    entities,
    nlp_artifacts,
    keep,
    by_line: bool = False,
    quick: str | None = None,
):
    out = []
    rx = _QUICK.get(quick) if quick else None
    if quick and rx is None:
        rx = _QUICK[quick] = regex.compile(quick)
    for off, piece in windows(text, keep, by_line, quick=rx):
        for r in analyze(piece, entities, None):
            r.start += off
            r.end += off
            out.append(r)
    return out
