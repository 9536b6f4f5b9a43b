"""Fast phrase lookup for word lists (places, organizations, public figures, first names).

Why not one big regular expression: an alternation of a thousand names is tried at every
position of the text; tokenizing once and looking token tuples up in a dict is linear and does not
slow down as lists grow. Tokens are folded (lower case, no accents) so "Etats-Unis" finds
"États-Unis"; elided articles ("l'", "d'") are separate tokens so "l'Ukraine" finds "Ukraine".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import regex

from bulle.text.gazetteers import fold

TOKEN = regex.compile(
    r"(?:[Jj]usqu|[Ll]orsqu|[Pp]uisqu|[Qq]u|[LlDdJjMmNnSsTtCc])['’](?=\p{L})"
    r"|[\p{L}\p{M}][\p{L}\p{M}\p{N}]*(?:[-'’][\p{L}\p{M}\p{N}]+)*|\p{N}+|[^\s\p{L}\p{N}]"
)


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str
    key: str  # folded

    @property
    def is_capitalized(self) -> bool:
        return self.text[:1].isupper()


_cache: tuple[str, list[Token]] | None = None


def tokens(text: str) -> list[Token]:
    """Tokens of ``text``; the last result is kept because several recognizers ask in turn."""
    global _cache
    if _cache is not None and _cache[0] is text:
        return _cache[1]
    toks = [
        Token(m.start(), m.end(), g, fold(g)) for m in TOKEN.finditer(text) for g in (m.group(),)
    ]
    _cache = (text, toks)
    return toks


class PhraseTable:
    """Phrases (as folded token tuples) indexed by their first token, longest tried first."""

    def __init__(self, phrases: Iterable[str]):
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for p in phrases:
            keys = tuple(t.key for t in tokenize_once(p))
            if keys:
                self._by_first.setdefault(keys[0], []).append(keys)
        for v in self._by_first.values():
            v.sort(key=len, reverse=True)

    def __contains__(self, phrase: str) -> bool:
        keys = tuple(t.key for t in tokenize_once(phrase))
        return bool(keys) and keys in self._by_first.get(keys[0], ())

    def find(self, toks: list[Token]) -> Iterator[tuple[int, int]]:
        """Yield (first token index, end token index) of non-overlapping longest matches."""
        i, n = 0, len(toks)
        while i < n:
            cands = self._by_first.get(toks[i].key)
            hit = 0
            if cands:
                for c in cands:
                    k = len(c)
                    if (
                        i + k <= n
                        and all(toks[i + j].key == c[j] for j in range(1, k))
                        and _contiguous(toks, i, i + k)
                    ):
                        hit = k
                        break
            if hit:
                yield i, i + hit
                i += hit
            else:
                i += 1


def _contiguous(toks: list[Token], i: int, j: int) -> bool:
    # Tokens of one phrase are separated by at most one space (never a line break).
    return all(toks[k + 1].start - toks[k].end <= 1 for k in range(i, j - 1))


def tokenize_once(text: str) -> list[Token]:
    return [Token(m.start(), m.end(), m.group(), fold(m.group())) for m in TOKEN.finditer(text)]


_lower_cache: tuple[str, bool] | None = None


def lowercase_text(text: str) -> bool:
    """Whether the text lost its capitals (automatic transcripts): then lists are matched in
    lower case too. Fewer than 3 % of the words capitalized, over at least 12 words."""
    global _lower_cache
    if _lower_cache is not None and _lower_cache[0] is text:
        return _lower_cache[1]
    words = [t for t in tokens(text) if t.text[:1].isalpha()]
    caps = sum(1 for t in words if t.text[:1].isupper())
    result = len(words) >= 12 and caps < 0.03 * len(words)
    _lower_cache = (text, result)
    return result
