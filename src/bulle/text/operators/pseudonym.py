"""pseudonym: realistic French surrogates, the same for the same entity.

Names are replaced word by word: a first name by a first name of the same gender (from the name
list, or from a title such as "Mme" before it), a surname by a surname, so that "Jean Dupont",
"M. Dupont" and "Dupont" become "Paul Martin", "M. Martin" and "Martin". Places, organisations
and identifiers get values of the same shape (identifiers keep a valid checksum); dates are
shifted as by shift-dates. With a key, choices are the same across a corpus (HMAC-SHA-256).
"""

from __future__ import annotations

import regex

from bulle.text.checksums import luhn_valid, nir_key
from bulle.text.entities import Entity
from bulle.text.gazetteers import fold
from bulle.text.operators import register_operator
from bulle.text.operators.base import DocumentContext, Operator
from bulle.text.operators.shift_dates import shifted
from bulle.text.patterns import FEMALE_TITLES, MALE_TITLES
from bulle.text.surrogates import (
    Keyed,
    first_name,
    gender_of_first_name,
    match_case,
    surname,
)

PARTICLES = frozenset(
    {
        "de",
        "du",
        "des",
        "la",
        "le",
        "van",
        "von",
        "der",
        "d'",
        "ben",
        "el",
        "al",
        "di",
        "da",
        "dos",
        "et",
    }
)
TITLE_BEFORE = regex.compile(r"(?:^|[\s(\[])([A-Za-zé]+)\.?[ \u00a0]+$")
WORD = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}'’]*(?:-[\p{L}\p{M}'’]+)*")
ORG_SUFFIXES = (
    "Conseil",
    "Services",
    "Associés",
    "Groupe",
    "Industries",
    "Santé",
    "Habitat",
    "Distribution",
    "Partenaires",
    "Solutions",
)
STREETS = ("rue", "avenue", "boulevard", "impasse", "allée", "place", "chemin")


CITIES = (
    "Paris",
    "Marseille",
    "Lyon",
    "Toulouse",
    "Nice",
    "Nantes",
    "Montpellier",
    "Strasbourg",
    "Bordeaux",
    "Lille",
    "Rennes",
    "Reims",
    "Toulon",
    "Grenoble",
    "Dijon",
    "Angers",
    "Nîmes",
    "Villeurbanne",
    "Clermont-Ferrand",
    "Aix-en-Provence",
    "Brest",
    "Tours",
    "Amiens",
    "Limoges",
    "Annecy",
    "Perpignan",
    "Metz",
    "Besançon",
    "Orléans",
    "Rouen",
    "Mulhouse",
    "Caen",
    "Nancy",
    "Argenteuil",
    "Montreuil",
    "Roubaix",
    "Avignon",
    "Poitiers",
    "Pau",
    "Calais",
    "La Rochelle",
    "Colmar",
    "Quimper",
    "Vannes",
    "Chartres",
    "Niort",
    "Albi",
    "Bayonne",
    "Valence",
    "Troyes",
    "Chambéry",
    "Lorient",
    "Béziers",
    "Cholet",
    "Laval",
)


def _cities() -> tuple[str, ...]:
    return CITIES


@register_operator("pseudonym")
class Pseudonym(Operator):
    writes_words = True

    def replacement(self, ctx: DocumentContext, e: Entity) -> str:
        s = ctx.surface(e)
        k = ctx.keyed
        label = e.label
        if label == "PERSON":
            return person(ctx, e)
        if label == "DATE":
            return shifted(ctx, e)
        if label == "LOCATION":
            if any(c.isdigit() for c in s):
                num = int(k.digits("addr-num", fold(s), 2)) + 1
                street = k.pick("street", fold(s), STREETS)
                name = surname(k, s)
                city = k.pick("city", fold(s), _cities())
                return f"{num} {street} {name}, {k.digits('postcode', fold(s), 5)} {city}"
            return match_case(s, k.pick("city", fold(s), _cities()))
        if label == "ORGANIZATION":
            if s.isupper() and " " not in s:
                return k.letters("acronym", fold(s), max(2, min(len(s), 6)))
            return f"{surname(k, s)} {k.pick('org', fold(s), ORG_SUFFIXES)}"
        if label == "EMAIL":
            return f"{fold(first_name(k, s, None))}.{fold(surname(k, s))}@exemple.fr".replace(
                " ", ""
            )
        if label == "URL":
            return f"https://www.exemple.fr/{k.letters('url', s, 8, 'abcdefghijklmnopqrstuvwxyz')}"
        if label == "IP_ADDRESS":
            if ":" in s:
                return "2001:db8::" + format(k.number("ip6", s) % 65536, "x")
            return f"192.0.2.{k.number('ip', s) % 254 + 1}"
        if label == "NIR":
            return _nir(k, s)
        if label == "IBAN":
            return _iban(k, s)
        if label in ("SIREN", "SIRET", "CREDIT_CARD"):
            return _luhn_shape(k, label, s)
        if label == "PHONE":
            return _phone(k, s)
        return _same_shape(k, label, s)


def person(ctx: DocumentContext, e: Entity) -> str:
    s = ctx.surface(e)
    k = ctx.keyed
    if s.startswith("@"):
        return "@" + k.letters("handle", fold(s), 8, "abcdefghijklmnopqrstuvwxyz")
    gender = _title_gender(ctx, e)
    out, pos = [], 0
    for m in WORD.finditer(s):
        out.append(s[pos : m.start()])
        w = m.group()
        if fold(w) in PARTICLES:
            out.append(w)
        else:
            g = gender_of_first_name(w)
            if g is not None or fold(w) in ctx.memo.get("first_names", ()):
                out.append(first_name(k, w, g or gender))
            else:
                out.append(surname(k, w))
        pos = m.end()
    out.append(s[pos:])
    return "".join(out)


def _title_gender(ctx: DocumentContext, e: Entity) -> str | None:
    genders = ctx.memo.setdefault("genders", {})
    key = fold(ctx.surface(e))
    if key in genders:
        return genders[key]
    found = None
    for o in ctx.entities:
        if o.label == "PERSON" and fold(ctx.surface(o)) == key:
            m = TITLE_BEFORE.search(ctx.text, max(0, o.start - 15), o.start)
            if m:
                t = fold(m.group(1))
                if t in FEMALE_TITLES:
                    found = "f"
                elif t in MALE_TITLES:
                    found = "m"
            if found:
                break
    genders[key] = found
    return found


def _same_shape(k: Keyed, label: str, s: str) -> str:
    digits = iter(k.digits(label, s, len(s)))
    letters = iter(k.letters(label, s, len(s) * 2) * 2)
    out = []
    for c in s:
        if c.isdigit():
            out.append(next(digits))
        elif c.isalpha():
            ch = next(letters)
            out.append(ch if c.isupper() else ch.lower())
        else:
            out.append(c)
    return "".join(out)


def _fill_digits(s: str, digits: str) -> str:
    it = iter(digits)
    return "".join(next(it) if c.isdigit() else c for c in s)


def _luhn_shape(k: Keyed, label: str, s: str) -> str:
    n = sum(c.isdigit() for c in s)
    body = k.digits(label, s, n - 1)
    for last in "0123456789":
        if luhn_valid(body + last):
            return _fill_digits(s, body + last)
    return _fill_digits(s, body + "0")


def _nir(k: Keyed, s: str) -> str:
    compact = "".join(c for c in s if c.isalnum())
    if len(compact) != 15:
        return _same_shape(k, "NIR", s)
    body = compact[0] + k.digits("nir", s, 12)
    body = body[:3] + f"{int(body[3:5]) % 12 + 1:02d}" + body[5:]
    new = body + f"{nir_key(body):02d}"
    it = iter(new)
    return "".join(next(it) if c.isalnum() else c for c in s)


def _iban(k: Keyed, s: str) -> str:
    compact = "".join(c for c in s if c.isalnum()).upper()
    country, bban = compact[:2], k.digits("iban", s, len(compact) - 4)
    moved = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in moved)) % 97
    new = f"{country}{check:02d}{bban}"
    it = iter(new)
    return "".join(next(it) if c.isalnum() else c for c in s)


def _phone(k: Keyed, s: str) -> str:
    # Numbers reserved for fiction by ARCEP (06 39 98 xx xx) keep the layout of the original.
    n = sum(c.isdigit() for c in s)
    tail = k.digits("phone", s, 4)
    digits = ("0639 98" if not s.lstrip().startswith(("+", "00")) else "33639 98").replace(" ", "")
    if s.lstrip().startswith("00"):
        digits = "00" + digits
    digits = (digits + tail)[-n:] if n >= len(digits + tail) - 2 else k.digits("phone", s, n)
    return _fill_digits(s, digits.rjust(n, "0"))
