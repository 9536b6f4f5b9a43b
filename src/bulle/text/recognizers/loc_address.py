"""LOCATION in postal addresses: "12 rue des Lilas", "3 bis avenue Jean-Jaurès",
"75011 Paris", "BP 123", and street names without a number ("place de la République").

The street type word ("rue", "avenue"...) is what makes a capitalized name an address; the
whole address is one span, from the number to the street name.
"""

from __future__ import annotations

from bulle.text.patterns import NAME_WORD
from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.registry import register

CONTEXT = [
    "adresse",
    "domicile",
    "domicilié",
    "domiciliée",
    "demeurant",
    "habite",
    "résidant",
    "résidence",
    "situé",
    "située",
    "cedex",
]

STREET = (
    r"(?:[Rr]ue|[Aa]venue|[Aa]v\.|[Bb]oulevard|[Bb]d|[Pp]lace|[Ii]mpasse|[Aa]llées?|[Cc]hemin|"
    r"[Rr]oute|[Qq]uai|[Cc]ours|[Ss]quare|[Pp]assage|[Rr]ond-point|[Vv]illa|[Cc]ité|"
    r"[Rr]ésidence|[Ll]otissement|[Ll]ieu-dit|[Ff]aubourg|[Vv]oie|[Ss]entier|[Ee]splanade|"
    r"[Pp]arvis|[Pp]romenade|[Hh]ameau|[Mm]ontée|[Tt]raverse|[Rr]uelle|[Cc]ours|[Ss]alle|[Ss]tade|"
    r"[Gg]ymnase|[Pp]arc|[Jj]ardin|[Hh]alle|[Pp]ont|[Gg]are|[Aa]éroport|[Qq]uartier|[Zz]one)"
)
LINK = r"(?:[ \u00a0](?:de[ \u00a0]la|de|du|des|d['’]|l['’]|la|le|les|aux|au|à|sur)[ \u00a0]?|[ \u00a0-])"
STREET_NAME = rf"(?:(?:de[ \u00a0]la|de|du|des|d['’]|l['’]|la|le|les|aux|au)[ \u00a0]?)?{NAME_WORD}(?:{LINK}{NAME_WORD}){{0,5}}"
CITY = rf"{NAME_WORD}(?:[ \u00a0-](?:(?:sur|sous|en|lès|les|le|la|de|du|des|aux|d['’])[ \u00a0-]?)?{NAME_WORD}){{0,3}}"

RULES = [
    Rule(
        "numbered_street",
        rf"(?<![\w,])\d{{1,4}}(?:[ \u00a0]?(?:bis|ter|quater|[A-D]))?,?[ \u00a0]+{STREET}"
        rf"[ \u00a0]+{STREET_NAME}",
        0.8,
    ),
    Rule("street", rf"(?<![\w])(?:{STREET})[ \u00a0]+{STREET_NAME}", 0.6),
    Rule(
        "postcode_city",
        rf"(?<![\d\w])(?:[0-9]{{2}}[ \u00a0]?[0-9]{{3}}|2[AB][0-9]{{3}})[ \u00a0]+{CITY}"
        rf"(?:[ \u00a0]+(?:CEDEX|Cedex)(?:[ \u00a0]\d{{1,2}})?)?",
        0.75,
    ),
    Rule(
        "district",
        r"(?<!\w)\d{1,2}(?:e|ème|er)(?:[ \u00a0](?:et|,)[ \u00a0]\d{1,2}(?:e|ème))?[ \u00a0]+arrondissements?(?!\w)",
        0.75,
    ),
    Rule(
        "district_short",
        r"(?<=\b(?:mairie|commissariat|maire|mairie[ ]annexe)[ \u00a0](?:du|des)[ \u00a0])\d{1,2}(?:e|ème)(?!\w)",
        0.7,
    ),
    Rule("po_box", r"(?<!\w)(?:BP|B\.P\.|CS|TSA)[ \u00a0]\d{2,6}(?!\d)", 0.6),
]


@register("loc_address")
def build(config):
    return RegexRecognizer("bulle_loc_address", "LOCATION", RULES, CONTEXT)
