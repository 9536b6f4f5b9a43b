"""PERSON as a handle or pseudonym: "@jdupont", "@Marie_L" (social networks, chats).

A handle designates one person as surely as a name does; an e-mail address is left to the
EMAIL recognizer (the look-behind refuses a word character before '@').
"""

from __future__ import annotations

from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.registry import register

RULES = [
    Rule(
        "handle", r"(?<![\w.@])@[A-Za-z0-9_][A-Za-z0-9_.]{1,29}(?<!\.)(?![\w@]|\.[a-z]{2,}\b)", 0.75
    ),
    Rule(
        "pseudo",
        r"(?i:\b(?:pseudo(?:nyme)?|alias|surnomm[ée]e?|dit|identifiant)\s*:?\s*[«\"“]\s?)"
        r"(?P<e>[^\s\"»”][^\"»”\n]{0,40}?)\s?[»\"”]",
        0.7,
    ),
    Rule(
        "login",
        r"(?i:\b(?:l'utilisateur|login\s*:|identifiant de connexion\s*:?|compte utilisateur|user\s*:)\s*)"
        r"(?P<e>[a-z][a-z0-9._-]{3,30})(?![\w@])",
        0.6,
    ),
]


@register("handle")
def build(config):
    return RegexRecognizer("bulle_handle", "PERSON", RULES, ["pseudo", "compte", "twitter"])
