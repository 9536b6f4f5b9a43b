"""French elision and contraction redone in front of a surrogate.

A pseudonym replaces a word that may begin with a vowel by one that may begin with a consonant,
or the reverse. The article or preposition before it was written for the original ("d'Orléans",
"à l'Hôtel-Dieu", "de Paris"); left as it was, the surrogate reads "d'Colmar" or "de Orléans",
which both looks wrong and tells a reader whether the original began with a vowel. So the words
just before a surrogate are elided or expanded again for the surrogate's first letter:

* ``d'`` / ``l'`` / ``qu'`` / ``jusqu'`` before a consonant become ``de`` / ``le`` / ``que`` /
  ``jusque``, and ``à le`` / ``de le`` contract to ``au`` / ``du``;
* ``de`` / ``le`` / ``la`` / ``que`` / ``jusque`` before a vowel or an ``h`` become ``d'`` / ``l'``
  / ``qu'`` / ``jusqu'``.

``h`` counts as mute (it elides): most names beginning with "H" are written so ("l'Hôpital",
"d'Hugo"). The gender of a surrogate organisation is unknown, so an expanded ``l'`` becomes the
masculine ``le``.
"""

from __future__ import annotations

import regex

VOWELS = frozenset("aeiouyhàâäéèêëîïôöûüÿœæ")

# the elided word (with its apostrophe) at the very end of the text before the surrogate
ELIDED = regex.compile(
    r"(?<![\p{L}\p{M}])(?P<prep>(?:[àÀ]|[dD]e)\s+)?(?P<w>[dDlL]|[qQ]u|[jJ]usqu)['’]$"
)
# a full word before a space at the end of the text before the surrogate
FULL = regex.compile(r"(?<![\p{L}\p{M}])(?P<w>[dD]e|[lL][ea]|[qQ]ue|[jJ]usque)(?P<sp>[ \u00a0])$")

EXPAND = {"d": "de", "l": "le", "qu": "que", "jusqu": "jusque"}
ELIDE = {"de": "d", "le": "l", "la": "l", "que": "qu", "jusque": "jusqu"}


def _starts_with_vowel(word: str) -> bool:
    return bool(word) and word[0].lower() in VOWELS


def _case_like(model: str, word: str) -> str:
    return word[:1].upper() + word[1:] if model[:1].isupper() else word


def reelide(before: str, surrogate: str) -> str:
    """``before`` (the text just before a surrogate) with its last article fitted to it."""
    if not surrogate or not surrogate[0].isalpha():
        return before
    vowel = _starts_with_vowel(surrogate)
    m = ELIDED.search(before)
    if m and not vowel:
        w = m["w"]
        full = _case_like(w, EXPAND[w.lower()])
        prep = m["prep"]
        if full.lower() == "le" and prep:
            p = prep.strip()
            contracted = "au" if p.lower() == "à" else "du"
            return before[: m.start()] + _case_like(p, contracted) + " "
        return before[: m.start("w")] + full + " "
    m = FULL.search(before)
    if m and vowel:
        w = m["w"]
        return before[: m.start("w")] + _case_like(w, ELIDE[w.lower()]) + "'"
    return before
