"""Cutting long documents into pieces spaCy accepts, on paragraph, line or sentence boundaries.

Why: spaCy refuses texts over ``max_length`` (1,000,000 characters) and its memory grows with
the document; a 5 MB report is processed piece by piece, and offsets are shifted back so that
entities point into the original text.
"""

from __future__ import annotations

from collections.abc import Iterator

SEPARATORS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")


def chunks(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """Yield (offset, piece) covering ``text`` exactly, each piece at most ``limit`` long."""
    if len(text) <= limit:
        yield 0, text
        return
    start = 0
    n = len(text)
    while start < n:
        end = min(start + limit, n)
        if end < n:
            cut = -1
            for sep in SEPARATORS:
                k = text.rfind(sep, start + limit // 2, end)
                if k >= 0:
                    cut = k + len(sep)
                    break
            end = cut if cut > start else end
        yield start, text[start:end]
        start = end
