"""ORGANIZATION by the shape of French institutional names: "ministère de l'Intérieur",
"CHU de Bordeaux", "hôpital Saint-Antoine", "tribunal judiciaire de Lyon", "cour d'appel de
Paris", "université Paris-Saclay", "mairie de Toulouse", "parti Renaissance".

The head noun says what kind of body it is; the capitalized words after it say which one. A head
noun with nothing capitalized after it ("l'hôpital", "le tribunal") names no one and is left.
"""

from __future__ import annotations

from bulle.text.patterns import NAME_WORD
from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.registry import register

LINK = r"(?:[ \u00a0](?:de[ \u00a0]la|de|du|des|d['’]|l['’]|et|sur|en|-|&)[ \u00a0]?|[ \u00a0-])"
PROPER = rf"{NAME_WORD}(?:{LINK}{NAME_WORD}){{0,4}}"
# Bodies named by a head noun and a proper name, the head being part of the official name.
HEAD = (
    r"(?:CHU|CHR|CHRU|CHI|CH|GHU|GHT|EPSM|EHPAD|Ehpad|Centre[ ]hospitalier(?:[ ]universitaire|"
    r"[ ]régional|[ ]intercommunal|[ ]spécialisé)?|Centre[ ]de[ ][\p{Ll}-]+|H[ôo]pital|Hôpitaux|"
    r"Clinique|Polyclinique|[Uu]niversité|[Tt]ribunal(?:[ ]judiciaire|[ ]administratif|"
    r"[ ]de[ ]commerce|[ ]correctionnel|[ ]de[ ]grande[ ]instance|[ ]d'instance|[ ]de[ ]police|"
    r"[ ]pour[ ]enfants)?|[Cc]our[ ]d'appel|[Cc]our[ ]administrative[ ]d'appel|[Cc]our[ ]d'assises|"
    r"[Cc]onseil[ ](?:départemental|régional|municipal|général|de[ ]prud'hommes)|"
    r"[Ll]ycée|[Cc]ollège|[ÉéEe]cole|[Gg]roupe[ ]scolaire|[Ii]nstitut|Fondation|Association|Fédération|"
    r"Confédération|Caisse|Banque|Mutuelle|Crédit|Groupe|Cabinet|Laboratoires?|Comité|"
    r"Observatoire|Académie|Communauté[ ]de[ ]communes|Métropole|Syndicat)"
)
UPPER_HEAD = (
    r"(?:TRIBUNAL[ ]JUDICIAIRE|TRIBUNAL[ ]ADMINISTRATIF|TRIBUNAL[ ]DE[ ]COMMERCE|"
    r"TRIBUNAL|COUR[ ]D['’]APPEL|COUR[ ]ADMINISTRATIVE[ ]D['’]APPEL|CONSEIL[ ]DE[ ]PRUD['’]HOMMES|"
    r"CENTRE[ ]HOSPITALIER(?:[ ]UNIVERSITAIRE)?|CONSEIL[ ]D['’][ÉE]TAT|COUR[ ]DE[ ]CASSATION|"
    r"GENDARMERIE[ ]NATIONALE|POLICE[ ]NATIONALE|PR[ÉE]FECTURE|MAIRIE|UNIVERSIT[ÉE])"
)
UPPER_NAME = r"\p{Lu}[\p{Lu}'’-]*(?:[ ](?:DE[ ]LA|DE|DU|DES|D['’])[ ]?\p{Lu}[\p{Lu}'’-]*|[ ]\p{Lu}[\p{Lu}'’-]*){0,3}"
LEGAL = r"(?:SARL|SAS|SASU|SA|SELARL|SELAS|SCP|SCI|SNC|EURL|GIE|SCOP|EARL|GAEC)"
SUFFIX = (
    r"(?:Habitat|Santé|Assurances?|Mutuelle|Distribution|Associés|Frères|Club|Consulting|"
    r"Conseil|Services|Industries?|Technologies|Immobilier|Transports?|Logistique|Bâtiment|"
    r"Rénovation|Cybersécurité|Informatique|Solutions|Systèmes|Énergies?|Environnement|"
    r"Médical|Pharma|Automobiles?|Occasions|Formation|Sécurité|Handball|Football|Rugby|Basket)"
)
LONG_HEAD = (
    r"(?:Caisse|Agence|Direction|Confédération|Fédération|Union|Mutuelle|Chambre|Office|"
    r"Institut|Service|Syndicat|Haute[ ]autorité|Autorité|Commission|Établissement|"
    r"Protection|Délégation|Inspection|Conseil|Ordre|Maison|Centre)"
)

NAMED_AFTER = (
    r"(?:association|société|entreprise|parti|syndicat|fondation|collectif|mouvement|"
    r"club|enseigne|cabinet|mutuelle|groupe|compagnie|start-up|startup|journal|chaîne)"
)

RULES = [
    Rule("named_after", rf"(?<=\b{NAMED_AFTER}[ \u00a0])(?P<e>{PROPER})", 0.7),
    Rule(
        "ministry",
        r"(?<!\w)[Mm]inistère[ \u00a0](?:de[ \u00a0]la|de[ \u00a0]l['’]|du|des|de|d['’])[ \u00a0]?"
        rf"[\p{{L}}-]+(?:{LINK}[\p{{L}}-]+){{0,4}}?(?=[\s,.;:)»\"]|$)",
        0.8,
    ),
    Rule(
        "institution",
        rf"(?<![\w-])(?P<e>{HEAD}(?:[ \u00a0](?:de[ \u00a0]la|du|des|de|d['’]|l['’])[ \u00a0]?|[ \u00a0]|-)"
        rf"{PROPER})",
        0.7,
    ),
    Rule(
        "institution_caps",
        rf"(?<![\w-]){UPPER_HEAD}(?:[ ](?:DE[ ]LA|DE|DU|DES|D['’])[ ]?{UPPER_NAME})?(?![\p{{L}}])",
        0.75,
    ),
    Rule("legal_form", rf"(?<![\w-]){LEGAL}[ \u00a0]{PROPER}", 0.75),
    Rule(
        "name_suffix",
        rf"(?<![\w-]){NAME_WORD}(?:[ \u00a0]{NAME_WORD}){{0,3}}[ \u00a0]{SUFFIX}(?![\w-])",
        0.6,
    ),
    Rule(
        "long_name",
        rf"(?<![\w-]){LONG_HEAD}(?:[ ](?:d['’])?[\p{{Ll}}'’-]+){{1,6}}?"
        rf"[ ](?:de[ ]la|du|des|de|d['’]|l['’])[ ]?{PROPER}",
        0.6,
    ),
    Rule(
        "long_name_lower",
        r"(?<![\w-])(?:Confédération|Fédération|Protection|Agence|Haute autorité)"
        r"(?:[ ](?:d['’])?[\p{Ll}'’-]+){1,6}(?=[\s,.;:)]|$)",
        0.55,
    ),
]


@register("org_patterns")
def build(config):
    return RegexRecognizer(
        "bulle_org_patterns",
        "ORGANIZATION",
        RULES,
        ["société", "organisme", "entreprise", "établissement", "employeur"],
    )
