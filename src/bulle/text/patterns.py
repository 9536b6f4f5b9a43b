"""Regular-expression pieces shared by the French name rules.

Why shared: the title list, what a name word looks like and which nouns are roles rather than
names must be the same in the title rule, the speaker-label rule and the boundary fixer, or a
span found by one is cut differently by another.
"""

from __future__ import annotations

# Titles before a name; the title itself is never part of the PERSON span.
TITLE = (
    r"(?:M\.|MM\.|Mr\.?|Mme\.?|Mmes|Mlle\.?|Mlles|Dr\.?|Drs|Pr\.?|Pr\.|Me|Maître|Maitre|"
    r"Monsieur|Madame|Mademoiselle|Messieurs|Mesdames|Docteur|Professeur|"
    r"monsieur|madame|mademoiselle|docteur|professeur|maître)"
)
TITLE_WORDS = frozenset(
    {
        "m",
        "mm",
        "mr",
        "mme",
        "mmes",
        "mlle",
        "mlles",
        "dr",
        "drs",
        "pr",
        "me",
        "maître",
        "maitre",
        "monsieur",
        "madame",
        "mademoiselle",
        "messieurs",
        "mesdames",
        "docteur",
        "professeur",
    }
)
FEMALE_TITLES = frozenset({"mme", "mmes", "mlle", "mlles", "madame", "mademoiselle", "mesdames"})
MALE_TITLES = frozenset({"m", "mm", "mr", "monsieur", "messieurs"})

# Nouns of office that follow a title ("Monsieur le Président") and are not names.
ROLE = (
    r"(?i:[Pp]résident(?:e)?|[Mm]inistre|[Mm]aire|[Dd]éputé(?:e)?|[Ss]énat(?:eur|rice)|"
    r"[Pp]réfet|[Pp]réfète|[Jj]uge|[Pp]rocureur(?:e)?|[Rr]apporteur(?:e)?|[Pp]remier|[Pp]remière|"
    r"[Ss]ecrétaire|[Dd]irect(?:eur|rice)|[Cc]onseill(?:er|ère)|[Gg]énéral|[Cc]ommissaire|"
    r"[Bb]âtonnier|[Gg]reffier|[Aa]vocat(?:e)?|[Dd]octeur|[Pp]rofesseur|[Cc]andidat(?:e)?|"
    r"[Dd]élégué(?:e)?|[Pp]atient(?:e)?|[Cc]oordinat(?:eur|rice)|[Dd]oyen(?:ne)?|[Rr]ecteur|"
    r"[Pp]orte-parole|[Cc]hef|[Cc]ommandant|[Cc]apitaine|[Cc]olonel|[Ll]ieutenant|[Ss]ergent|"
    r"[Aa]mbassadeur|[Cc]onsul|[Pp]ape|[Rr]oi|[Rr]eine|[Pp]rince|[Pp]rincesse|[Cc]omte|[Cc]omtesse)\b"
)

# A name word: a capital, then letters, apostrophes or hyphens ("Dupont", "DUPONT", "N'Diaye",
# "Saint-Just", "O'Neill"). An all-capital word counts: transcripts and court texts use them.
NAME_WORD = r"(?:\p{Lu}[\p{L}\p{M}]*(?:['’-]\p{L}[\p{L}\p{M}]*)*\.?(?<!\.))"
NAME_WORD_DOT = r"(?:\p{Lu}\.)"  # an initial: "J."
# Particles inside names ("Charles de Gaulle", "Marine Le Pen", "Ursula von der Leyen").
PARTICLE = r"(?:(?:de|du|des|de\ la|van|von|der|den|ben|bin|ibn|el|al|di|da|dos|das|Le|La|Du|De|Van|Von|Ben|El|Al|Da|Di)[ \u00a0]|d['’]|D['’])"
NAME_CHAIN = (
    rf"(?:{NAME_WORD_DOT}[ \u00a0]?)?(?!{ROLE}){NAME_WORD}"
    rf"(?:[ \u00a0](?:{NAME_WORD_DOT}[ \u00a0])?{PARTICLE}?(?!{ROLE}){NAME_WORD}){{0,3}}"
)

# The same offices as words (folded), for checks on a whole span.
ROLE_WORDS = frozenset(
    {
        "maire",
        "president",
        "presidente",
        "ministre",
        "rapporteur",
        "rapporteure",
        "depute",
        "deputee",
        "senateur",
        "senatrice",
        "prefet",
        "juge",
        "procureur",
        "greffier",
        "greffiere",
        "journaliste",
        "animateur",
        "animatrice",
        "moderateur",
        "moderatrice",
        "intervenant",
        "intervenante",
        "enqueteur",
        "enqueteuse",
        "enquetrice",
        "temoin",
        "avocat",
        "avocate",
        "adjoint",
        "adjointe",
        "secretaire",
        "tresorier",
        "tresoriere",
        "conseiller",
        "conseillere",
        "medecin",
        "docteur",
        "professeur",
        "patient",
        "patiente",
        "public",
        "voix",
        "off",
        "inconnu",
        "inconnue",
        "homme",
        "femme",
        "participant",
        "participante",
        "orateur",
        "oratrice",
        "conseil",
        "municipal",
        "nationale",
        "national",
        "gendarmerie",
        "tribunal",
        "seance",
        "directeur",
        "directrice",
        "chef",
        "porte-parole",
        "commissaire",
        "candidat",
        "candidate",
    }
)
