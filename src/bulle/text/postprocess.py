"""From raw recognizer results to the final entities of one document.

Why a separate stage: recognizers each see one clue (a title, a first name, a statistical tag);
the document needs one answer per character. This module fixes span boundaries (titles,
articles and punctuation out), filters the statistical model's noise, resolves conflicts by a
fixed policy, merges pieces of one address or one name, and propagates names found once to
their other mentions.

Conflict policy (``TIERS``): checksummed identifiers and e-mail/URL first, then other
identifiers, dates, names announced by a title or a speaker label, addresses and institutional
patterns, list matches, spaCy's NER, propagated mentions, and last the weak guesses (surname
list, unknown acronyms). A higher tier wins an overlap; the same label overlapping merges into
one span; a lower-tier span that strictly contains list matches of name-like labels replaces
them (an organisation's name contains a city; a street name contains a person's name).
"""

from __future__ import annotations

import bisect

import regex

from bulle.text.entities import Entity
from bulle.text.gazetteers import (
    first_names,
    fold,
    folded_surnames,
    not_names,
    not_org_acronyms,
    place_keys,
)
from bulle.text.matcher import PhraseTable, tokens
from bulle.text.patterns import ROLE_WORDS, TITLE, TITLE_WORDS

TIERS: dict[str, int] = {
    "bulle_email": 100,
    "bulle_nir": 99,
    "bulle_iban": 99,
    "bulle_credit_card": 98,
    "bulle_siret": 97,
    "bulle_siren": 96,
    "bulle_ip_address": 95,
    "bulle_url": 94,
    "bulle_phone": 90,
    "bulle_phone_fr": 90,
    "bulle_license_plate": 89,
    "bulle_record_id": 88,
    "bulle_handle": 85,
    "bulle_date": 80,
    "bulle_speaker_label": 76,
    "bulle_person_title": 75,
    "bulle_loc_address": 74,
    "bulle_org_patterns": 72,
    "bulle_public_figure": 66,
    "bulle_org_gazetteer": 62,
    "bulle_loc_gazetteer": 62,
    "bulle_first_name": 58,
    "propagated_person": 52,
    "bulle_spacy_ner": 50,
    "propagated": 45,
    "bulle_surname": 44,
}
NAME_LABELS = frozenset({"PERSON", "LOCATION", "ORGANIZATION"})
DEFAULT_TIER = 60
EPONYM_BEFORE = regex.compile(
    r"(?:maladie|signe|syndrome|test|manœuvre|manoeuvre|score|"
    r"classification|échelle|loi|théorème|principe|effet|méthode|"
    r"fracture|sonde|réflexe)s?[ \u00a0](?:de|d['’])[ \u00a0]?$",
    regex.I,
)

LEAD_STRIP = " \t\r\n«»“”\"'’([{–—-,;:."
TRAIL_STRIP = " \t\r\n«»“”\"'’)]},;:!?.–—-"
TITLE_PREFIX = regex.compile(rf"(?:{TITLE})(?:[ \u00a0]+|(?<=\.))")
ARTICLE_PREFIX = regex.compile(r"(?:l['’]|d['’]|la |le |les |du |des |de la |de |au |aux |en )")
RECORD_PREFIX = regex.compile(r"(?:(?:RG|IPP|NDA|NIP|RPPS|PV|No)\b|N°|n°)[ \u00a0]*:?[ \u00a0]*")
ORG_HEADS_OUTSIDE = frozenset(
    {
        "société",
        "association",
        "groupe",
        "entreprise",
        "parti",
        "syndicat",
        "mouvement",
        "cabinet",
        "enseigne",
        "marque",
        "usine",
        "journal",
        "quotidien",
        "chaîne",
        "club",
        "l'association",
        "l'entreprise",
        "l'usine",
    }
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


def tier(e: Entity) -> int:
    t = TIERS.get(e.source, DEFAULT_TIER)
    if e.source == "bulle_org_gazetteer" and e.score < 0.5:
        return 40  # an unknown acronym: the weakest guess
    if e.source == "bulle_first_name" and e.score < 0.55:
        return 46  # a lower-case first name
    return t


# ---------------------------------------------------------------------------------------------
# Boundaries
# ---------------------------------------------------------------------------------------------


def fix_boundaries(text: str, e: Entity) -> Entity | None:
    start, end = e.start, e.end
    keep_dot = e.label in ("DATE", "RECORD_ID")
    while (start < end and text[start] in LEAD_STRIP and e.label not in ("PERSON",)) or (
        start < end and text[start].isspace()
    ):
        if e.label == "PERSON" and text[start] == "@":
            break
        start += 1
    while start < end and text[end - 1] in TRAIL_STRIP and not (keep_dot and text[end - 1] == "."):
        end -= 1
    if e.label in NAME_LABELS:
        nl = text.find("\n", start, end)
        if nl >= 0 and not (e.label == "LOCATION" and e.source == "bulle_loc_address"):
            # keep the part of the span that has a capital (a name does not cross lines)
            first, second = (start, nl), (nl + 1, end)
            part = first if any(c.isupper() for c in text[first[0] : first[1]]) else second
            start, end = part
            while start < end and text[start].isspace():
                start += 1
            while start < end and text[end - 1] in TRAIL_STRIP:
                end -= 1
    if e.label in NAME_LABELS and e.source == "bulle_spacy_ner":
        start, end = _first_part(text, start, end)
    if e.label == "PERSON":
        start, end = _person_bounds(text, start, end)
    elif e.label == "RECORD_ID":
        m = RECORD_PREFIX.match(text, start, end)
        if m and m.end() < end:
            start = m.end()
    elif e.label in ("LOCATION", "ORGANIZATION"):
        start = _strip_articles(text, start, end, e.label)
    if end - start < 2 and not (e.label == "LOCATION" and end > start):
        return None
    return e.with_span(start, end) if (start, end) != (e.start, e.end) else e


NON_SPACE = regex.compile(r"\S+")
BREAKS = regex.compile(r"[\[\]():;|•]|\s[-–—]\s")


def _first_part(text: str, start: int, end: int) -> tuple[int, int]:
    """A statistical span that crosses a bracket, colon or dash holds two things: keep the first
    part that has a capital."""
    cuts = [m.span() for m in BREAKS.finditer(text, start, end)]
    if not cuts:
        return start, end
    bounds, pos = [], start
    for a, b in cuts:
        bounds.append((pos, a))
        pos = b
    bounds.append((pos, end))
    for a, b in bounds:
        if any(c.isupper() for c in text[a:b]):
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            return a, b
    return start, end


def _person_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    while True:
        m = TITLE_PREFIX.match(text, start, end)
        if not m or m.end() >= end:
            break
        start = m.end()
        while start < end and text[start].isspace():
            start += 1
    span = text[start:end]
    if any(c.isupper() for c in span):
        # leading lower-case words (articles, offices) and trailing ones are not the name
        words = list(NON_SPACE.finditer(span))
        i, j = 0, len(words)
        while (
            i < j - 1
            and not words[i].group()[:1].isupper()
            and not words[i].group().startswith("@")
        ):
            i += 1
        while j - 1 > i and (
            not words[j - 1].group()[:1].isupper() or fold(words[j - 1].group()) in PARTICLES
        ):
            j -= 1
        if words:
            start, end = start + words[i].start(), start + words[j - 1].end()
        for art in ("l'", "l’", "d'", "d’"):
            if text.startswith(art, start) and end - start > 3:
                start += 2
    while start < end and text[end - 1] in TRAIL_STRIP:
        end -= 1
    return start, end


def _strip_articles(text: str, start: int, end: int, label: str) -> int:
    while True:
        m = ARTICLE_PREFIX.match(text, start, end)
        if not m or m.end() >= end:
            break
        start = m.end()
    if label == "ORGANIZATION":
        first = text[start:end].split(" ", 1)
        if len(first) == 2 and first[0].lower() in ORG_HEADS_OUTSIDE and first[1][:1].isupper():
            start += len(first[0]) + 1
    return start


# ---------------------------------------------------------------------------------------------
# Filtering the statistical model
# ---------------------------------------------------------------------------------------------


def _stop_words() -> frozenset[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS as SW

    return frozenset(fold(w) for w in SW)


STOP_WORDS = _stop_words()


def is_eponym(text: str, e: Entity) -> bool:
    """A name inside a disease, sign or law ("maladie de Parkinson") is not a person here."""
    return e.label == "PERSON" and bool(EPONYM_BEFORE.search(text, max(0, e.start - 30), e.start))


ORG_WORDS = frozenset(
    {
        "conseil",
        "tribunal",
        "cour",
        "ministere",
        "commission",
        "caisse",
        "agence",
        "direction",
        "association",
        "federation",
        "confederation",
        "syndicat",
        "universite",
        "hopital",
        "clinique",
        "banque",
        "mutuelle",
        "societe",
        "groupe",
        "parti",
        "mouvement",
        "comite",
        "institut",
        "fondation",
        "office",
        "autorite",
        "chambre",
        "prefecture",
        "mairie",
        "gendarmerie",
        "police",
        "assemblee",
        "senat",
        "parlement",
        "union",
        "habitat",
        "assurances",
        "chu",
        "ehpad",
    }
)


def relabel_ner(text: str, e: Entity) -> Entity:
    """Fix the statistical model's label from the words of the span: a single word tagged place
    or organisation that is a known surname and no known place is a person ("Dupont est parti."
    is tagged LOC); a span holding an institution word is an organisation."""
    if e.source != "bulle_spacy_ner":
        return e
    span = text[e.start : e.end]
    if (
        e.label in ("PERSON", "LOCATION")
        and " " in span
        and any(fold(w) in ORG_WORDS for w in span.split())
    ):
        return e.with_label("ORGANIZATION")
    if e.label == "ORGANIZATION" and fold(span.split()[0]) in ROLE_WORDS:
        return e.with_label("MISC")  # "ministre de l'Intérieur": an office, dropped below
    if e.label not in ("LOCATION", "ORGANIZATION"):
        return e
    if " " in span or not span[:1].isupper() or span.isupper():
        return e
    key = fold(span)
    if key in folded_surnames() and key not in place_keys():
        return e.with_label("PERSON")
    return e


def keep_ner(text: str, e: Entity) -> bool:
    if e.source != "bulle_spacy_ner":
        return True
    if e.label == "MISC":
        return False
    span = text[e.start : e.end]
    if not any(c.isupper() for c in span) or not any(c.isalpha() for c in span):
        return False
    words = [fold(w.strip(".,;:!?'’-")) for w in span.split()]
    if all(
        w in not_names() or w in PARTICLES or w in TITLE_WORDS or w in STOP_WORDS or not w
        for w in words
    ):
        return False
    if len(words) == 1 and (len(words[0]) < 2 or span in not_org_acronyms()):
        return False
    return not (e.label == "PERSON" and len(span) > 60)


# ---------------------------------------------------------------------------------------------
# Conflicts
# ---------------------------------------------------------------------------------------------


def resolve(entities: list[Entity]) -> list[Entity]:
    """One label per character, by tier then length; same labels merge."""
    order = sorted(entities, key=lambda e: (-tier(e), -(e.end - e.start), e.start))
    starts: list[int] = []
    kept: list[Entity] = []
    for cand in order:
        i = bisect.bisect_left(starts, cand.start)
        lo = i - 1 if i > 0 and kept[i - 1].end > cand.start else i
        hi = i
        while hi < len(kept) and kept[hi].start < cand.end:
            hi += 1
        over = kept[lo:hi]
        if not over:
            kept.insert(i, cand)
            starts.insert(i, cand.start)
            continue
        if (
            all(o.label == cand.label for o in over)
            and cand.label in NAME_LABELS | {"DATE"}
            and tier(cand) >= 45
        ):
            s = min([cand.start] + [o.start for o in over])
            e = max([cand.end] + [o.end for o in over])
            best = max(over, key=tier)
            merged = Entity(s, e, cand.label, max(best.score, cand.score), best.source)
            del kept[lo:hi], starts[lo:hi]
            kept.insert(lo, merged)
            starts.insert(lo, s)
            continue
        contains = all(cand.start <= o.start and o.end <= cand.end for o in over) and any(
            (o.end - o.start) < (cand.end - cand.start) for o in over
        )
        street = cand.source == "bulle_loc_address"  # "rue du Docteur Gabriel Péry"
        if (
            contains
            and cand.label in ("LOCATION", "ORGANIZATION")
            and tier(cand) >= 50
            and all(o.label in NAME_LABELS and (tier(o) <= 66 or street) for o in over)
        ):
            del kept[lo:hi], starts[lo:hi]
            kept.insert(lo, cand)
            starts.insert(lo, cand.start)
    return kept


# ---------------------------------------------------------------------------------------------
# Merging pieces
# ---------------------------------------------------------------------------------------------

ADDRESS_GAP = regex.compile(
    r"^(?:,?[ \u00a0]*\n?[ \u00a0]*|[ \u00a0]+(?:à|a)[ \u00a0]+|,[ \u00a0]*)$"
)
NAME_GAP = regex.compile(r"^[ \u00a0]$")


def merge_adjacent(text: str, ents: list[Entity]) -> list[Entity]:
    out: list[Entity] = []
    for e in ents:
        if out:
            prev = out[-1]
            gap = text[prev.end : e.start]
            if (
                prev.label == e.label == "LOCATION"
                and prev.source == "bulle_loc_address"
                and len(gap) <= 4
                and ADDRESS_GAP.match(gap)
            ):
                out[-1] = Entity(prev.start, e.end, "LOCATION", prev.score, prev.source)
                continue
            if (
                prev.label == e.label == "PERSON"
                and NAME_GAP.match(gap)
                and (
                    text[prev.start : prev.end][:1].isupper() == text[e.start : e.end][:1].isupper()
                )
            ):
                out[-1] = Entity(prev.start, e.end, "PERSON", max(prev.score, e.score), prev.source)
                continue
        out.append(e)
    return out


LINE_LABEL_AFTER = regex.compile(r"[ \t]*(?:\([^)\n]{0,40}\))?[ \t]*:")
SENTENCE_START_BEFORE = regex.compile(r"(?:^|[.!?…»\n]\s*|(?:^|\n)\s*[-–—•*\d.)]+\s*)$")


def _proper_nouns(text: str) -> set[str]:
    """Words written with a capital inside sentences somewhere in the text: proper nouns."""
    toks = tokens(text)
    out = set()
    for i in range(1, len(toks)):
        t = toks[i]
        if (
            t.text[:1].isupper()
            and not t.text.isupper()
            and toks[i - 1].text not in (".", "!", "?", ":", "…", "»", "«", "-")
            and "\n" not in text[toks[i - 1].end : t.start]
        ):
            out.add(t.key)
    return out


def unsupported_sentence_start(text: str, e: Entity, proper: set[str]) -> bool:
    """A statistical span of one word at the start of a line or sentence ("Lavage de nez",
    "Domicile :") is a common word unless the text or a list says it is a proper noun."""
    if e.source != "bulle_spacy_ner":
        return False
    span = text[e.start : e.end]
    caps = span.isupper() and len(span) > 3  # a word of a heading ("DÉBAT DU SECOND TOUR")
    if " " in span or not (
        caps or SENTENCE_START_BEFORE.search(text, max(0, e.start - 12), e.start)
    ):
        return False
    if LINE_LABEL_AFTER.match(text, e.end):
        return True  # a field or speaker label: the speaker rule decides for names
    key = fold(span)
    if caps and e.label == "ORGANIZATION":
        return False  # an acronym: organisations are written so
    return not (
        key in proper or key in first_names() or key in folded_surnames() or key in place_keys()
    )


def clean(text: str, raw: list[Entity]) -> list[Entity]:
    """Boundaries, filtering, conflicts and merging for one piece of text."""
    fixed = []
    proper: set[str] | None = None
    for e in raw:
        if not keep_ner(text, e):
            continue
        f = fix_boundaries(text, relabel_ner(text, e))
        if f is None or not keep_ner(text, f) or is_eponym(text, f):
            continue
        if f.source == "bulle_spacy_ner":
            if proper is None:
                proper = _proper_nouns(text)
            if unsupported_sentence_start(text, f, proper):
                continue
        fixed.append(local_office(text, f))
    return coordinated_places(text, merge_adjacent(text, resolve(fixed)))


LOCAL_OFFICE = regex.compile(
    r"(?:(?:[Hh][ôo]pital|[Mm]airie|[Pp]réfecture|[Ss]ous-préfecture|[Cc]ommissariat|"
    r"[Gg]endarmerie|[Aa]gence|[Bb]rigade|[Rr]ectorat|[Mm]aternité|[Pp]harmacie|[Cc]aserne|"
    r"[Pp]oste|[Gg]are|[Mm]aison[ ]de[ ]santé)[ \u00a0](?:de[ \u00a0]la[ \u00a0]|de[ \u00a0]|du[ \u00a0]|des[ \u00a0]|d['’]))"
)


def local_office(text: str, e: Entity) -> Entity:
    """ "l'hôpital de Guéret", "la mairie du 7e": a local office is named by its place; the place
    is the entity (a LOCATION), not an organisation."""
    if e.label != "ORGANIZATION":
        return e
    m = LOCAL_OFFICE.match(text, e.start, e.end)
    if not m or m.end() >= e.end:
        return e
    if text[e.start].isupper() and e.source not in ("bulle_spacy_ner",):
        return e  # "Hôpital Yves Le Foll": an official name
    return Entity(m.end(), e.end, "LOCATION", e.score, e.source)


COORDINATION = regex.compile(
    r"[ \u00a0]+(?:ou|et|ni)[ \u00a0]+(?:de[ \u00a0]+|d['’]|à[ \u00a0]+|en[ \u00a0]+|au[ \u00a0]+)?$"
)


def coordinated_places(text: str, ents: list[Entity]) -> list[Entity]:
    """ "les femmes d'Alençon ou de Domfront": a single word joined to a place by "ou"/"et" with
    the same preposition is a place too, whatever the model said."""
    out = list(ents)
    for k in range(1, len(out)):
        prev, cur = out[k - 1], out[k]
        if (
            cur.label in ("PERSON", "ORGANIZATION")
            and prev.label == "LOCATION"
            and cur.source == "bulle_spacy_ner"
            and " " not in text[cur.start : cur.end]
            and COORDINATION.match(text[prev.end : cur.start])
        ):
            out[k] = cur.with_label("LOCATION")
    return out


# ---------------------------------------------------------------------------------------------
# Propagation
# ---------------------------------------------------------------------------------------------


def propagate(text: str, ents: list[Entity]) -> list[Entity]:
    """Mark the other mentions of names found in the document (full forms and surnames)."""
    return propagate_with(text, ents, propagate_forms(text, ents))


Forms = tuple[dict[str, set[str]], set[str]]


def propagate_forms(text: str, ents: list[Entity]) -> Forms:
    """The surfaces worth searching again: names (and surnames alone), places, organisations."""
    forms: dict[str, set[str]] = {"PERSON": set(), "LOCATION": set(), "ORGANIZATION": set()}
    lower_ok: set[str] = set()  # names seen in lower case may be found again in lower case
    for e in ents:
        if e.label not in forms or tier(e) < 50:
            continue
        surface = text[e.start : e.end]
        if e.label == "PERSON":
            if surface.startswith("@"):
                continue
            forms["PERSON"].add(surface)
            if surface.islower():
                lower_ok.add(fold(surface))
            words = surface.split()
            if len(words) >= 2:
                firsts = [w for w in words if fold(w) in first_names()]
                rest = [w for w in words if w not in firsts and fold(w) not in PARTICLES]
                for w in rest:
                    if (
                        len(w) > 2
                        and w[:1].isupper()
                        and fold(w) not in not_names()
                        and fold(w).rstrip(".") not in TITLE_WORDS
                        and fold(w) not in STOP_WORDS
                    ):
                        forms["PERSON"].add(w)
                # a surname with its particle ("Le Pen", "de Gaulle")
                if len(words) >= 3 and fold(words[-2]) in PARTICLES:
                    forms["PERSON"].add(" ".join(words[-2:]))
        elif (
            e.source
            in (
                "bulle_spacy_ner",
                "bulle_loc_gazetteer",
                "bulle_org_gazetteer",
                "bulle_org_patterns",
            )
            and "\n" not in surface
            and fold(surface) not in not_names()
            and len(surface) > 2
        ):
            forms[e.label].add(surface)
    return forms, lower_ok


def propagate_with(text: str, ents: list[Entity], known: Forms) -> list[Entity]:
    forms, lower_ok = known
    found: list[Entity] = []
    toks = tokens(text)
    for label, surfaces in forms.items():
        if not surfaces:
            continue
        table = PhraseTable(surfaces)
        for i, j in table.find(toks):
            first = toks[i]
            if (
                not first.text[:1].isupper()
                and fold(text[first.start : toks[j - 1].end]) not in lower_ok
            ):
                continue
            if is_eponym(text, Entity(first.start, toks[j - 1].end, label)):
                continue
            source = "propagated_person" if label == "PERSON" else "propagated"
            found.append(Entity(first.start, toks[j - 1].end, label, 0.5, source))
    if not found:
        return ents
    return merge_adjacent(text, resolve(list(ents) + found))
