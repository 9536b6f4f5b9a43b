"""Each French recognizer, table-driven: what it must find, what it must leave alone, with and
without context words. Run through the whole detector, as users get it."""

from __future__ import annotations

import pytest

from bulle.text import registry

FOUND = [
    # NIR: valid key (with and without context), Corsica
    ("nir", "N° SS : 1 84 12 76 451 089 46", "1 84 12 76 451 089 46", "NIR"),
    ("nir", "Référence 184127645108946 transmise.", "184127645108946", "NIR"),
    # a NIR typed with a wrong key still identifies its holder, with or without context
    ("nir", "N° SS : 2 64 05 2B 033 012 21", "2 64 05 2B 033 012 21", "NIR"),
    ("nir", "Son numéro 1 85 05 78 006 084 99 est faux.", "1 85 05 78 006 084 99", "NIR"),
    ("nir", "transmis 185057800608499 hier", "185057800608499", "NIR"),
    # IBAN, card, SIREN, SIRET
    (
        "iban",
        "IBAN : FR76 3000 6000 0112 3456 7890 189",
        "FR76 3000 6000 0112 3456 7890 189",
        "IBAN",
    ),
    (
        "credit_card",
        "Carte bancaire 4111 1111 1111 1111, expiration 09/27",
        "4111 1111 1111 1111",
        "CREDIT_CARD",
    ),
    ("siren", "la société Durand (SIREN 732 829 320)", "732 829 320", "SIREN"),
    ("siren", "immatriculée sous le numéro 732829320 RCS Paris", "732829320", "SIREN"),
    ("siret", "SIRET 732 829 320 00074", "732 829 320 00074", "SIRET"),
    ("siret", "établissement 35600000000010 de la Poste", "35600000000010", "SIRET"),
    # phones
    ("phone", "Tél. : 06 39 98 72 15", "06 39 98 72 15", "PHONE"),
    ("phone", "joignable au +33 6 39 98 72 15.", "+33 6 39 98 72 15", "PHONE"),
    ("phone", "portable 06.39.98.72.15", "06.39.98.72.15", "PHONE"),
    ("phone", "standard 01-99-00-12-34", "01-99-00-12-34", "PHONE"),
    # e-mail, URL, IP
    (
        "email",
        "Écrire à jean.dupont@exemple.fr pour toute question.",
        "jean.dupont@exemple.fr",
        "EMAIL",
    ),
    (
        "url",
        "Rendez-vous sur https://www.exemple.fr/compte.",
        "https://www.exemple.fr/compte",
        "URL",
    ),
    ("url", "votre espace sur impots.gouv.fr.", "impots.gouv.fr", "URL"),
    ("ip_address", "connexion depuis 185.220.101.47 hier", "185.220.101.47", "IP_ADDRESS"),
    # plates
    ("license_plate", "le véhicule immatriculé FK-318-ZB", "FK-318-ZB", "LICENSE_PLATE"),
    ("license_plate", "immatriculé 3472 TV 13, a été vendu", "3472 TV 13", "LICENSE_PLATE"),
    # record numbers
    ("record_id", "IPP : 800412367", "800412367", "RECORD_ID"),
    ("record_id", "N° RG 23/04512", "23/04512", "RECORD_ID"),
    ("record_id", "Dossier n° ADH-44-2025-118903 signé", "ADH-44-2025-118903", "RECORD_ID"),
    # dates
    ("date", "né le 14/03/1958 à Quimper", "14/03/1958", "DATE"),
    ("date", "jugement du 27 mars 2025.", "27 mars 2025", "DATE"),
    ("date", "à compter du 1er janvier 2025", "1er janvier 2025", "DATE"),
    ("date", "séance du mardi 21 janvier 2025", "mardi 21 janvier 2025", "DATE"),
    ("date", "depuis la rentrée de septembre 2024", "septembre 2024", "DATE"),
    ("date", "sevré en 2015 ;", "2015", "DATE"),
    ("date", "le 2024-03-27 à midi", "2024-03-27", "DATE"),
    ("date", "Date : lun. 14 avr. 2025 08:17", "lun. 14 avr. 2025", "DATE"),
    ("date", "dans la nuit du 11 au 12 avril ?", "11 au 12 avril", "DATE"),
    (
        "date",
        "nous sommes le jeudi treize mars deux mille vingt-cinq",
        "jeudi treize mars deux mille vingt-cinq",
        "DATE",
    ),
    # persons
    ("person_title", "Le Dr Martin a examiné la patiente.", "Martin", "PERSON"),
    ("person_title", "Mme Claire Lefèvre est arrivée.", "Claire Lefèvre", "PERSON"),
    ("person_title", "Maître Durand plaide.", "Durand", "PERSON"),
    ("person_title", "merci madame rousselle la parole est à", "rousselle", "PERSON"),
    ("person_title", "Mme Lemoine, née Garnier, le 2 octobre", "Garnier", "PERSON"),
    ("person_title", "Interne : L. Mattei", "L. Mattei", "PERSON"),
    ("speaker_label", "[M. Dupont] Je commence.", "Dupont", "PERSON"),
    ("speaker_label", "DUFOUR : oui ça c'est vrai\nDUFOUR : non", "DUFOUR", "PERSON"),
    (
        "speaker_label",
        "M. Yves Le Bihan. - Ma question s'adresse au ministre.",
        "Yves Le Bihan",
        "PERSON",
    ),
    ("speaker_label", "[00:02:15] fontanel : c'est faux", "fontanel", "PERSON"),
    ("handle", "comme l'écrit @noah_le_nul72 sur le réseau", "@noah_le_nul72", "PERSON"),
    ("first_name", "J'ai vu Jean-Luc Mélenchon hier.", "Jean-Luc Mélenchon", "PERSON"),
    ("first_name", "Ensuite Sandrine est venue.", "Sandrine", "PERSON"),
    ("public_figure", "Je ne suis pas d'accord avec Macron sur ce point.", "Macron", "PERSON"),
    # places and organisations
    (
        "loc_address",
        "demeurant 34 rue de la Paroisse, 78000 Versailles",
        "34 rue de la Paroisse, 78000 Versailles",
        "LOCATION",
    ),
    ("loc_gazetteer", "Il vit à Tinqueux depuis longtemps.", "Tinqueux", "LOCATION"),
    ("loc_gazetteer", "en auvergne-rhône-alpes on a perdu", "auvergne-rhône-alpes", "LOCATION"),
    ("org_gazetteer", "retraité de la SNCF, il", "SNCF", "ORGANIZATION"),
    ("org_patterns", "Le DaTSCAN réalisé au CHU de Reims le", "CHU de Reims", "ORGANIZATION"),
    (
        "org_patterns",
        "Le ministère de la Santé a débloqué",
        "ministère de la Santé",
        "ORGANIZATION",
    ),
    (
        "org_patterns",
        "TRIBUNAL JUDICIAIRE DE NANTERRE\n6e chambre",
        "TRIBUNAL JUDICIAIRE DE NANTERRE",
        "ORGANIZATION",
    ),
]

NOT_FOUND = [
    ("credit_card", "lot 4970 1010 7488 7527", "CREDIT_CARD"),  # fails Luhn
    ("siren", "SIREN 732 829 321", "SIREN"),  # fails Luhn
    ("siren", "Montant : 123456789", "SIREN"),  # valid Luhn? no context anyway
    ("license_plate", "Référence 3472 TV 13", "LICENSE_PLATE"),  # old plate needs context
    ("ip_address", "Version du logiciel : 10.4.2.17.5", "IP_ADDRESS"),
    ("date", "pendant 7 jours, 12 mois de suivi", "DATE"),
    ("date", "il a payé 2019 euros", "DATE"),
    ("person_title", "Monsieur le Président, je vous remercie", "PERSON"),
    ("person_title", "Pas de maladie de Parkinson ni d'Alzheimer.", "PERSON"),
    ("speaker_label", "Adresse : 5 quai de la Fosse", "PERSON"),
    ("speaker_label", "Question : et ensuite ?", "PERSON"),
    ("first_name", "la France a dit non", "PERSON"),
    ("first_name", "une pierre et une rose", "PERSON"),
]


def test_every_builtin_recognizer_is_registered():
    names = set(registry.names())
    assert {case[0] for case in FOUND} <= names | {"phone"}
    assert len(names) == len(registry.BUILTIN_MODULES)


@pytest.mark.parametrize(
    ("recognizer", "text", "surface", "label"),
    FOUND,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(FOUND)],
)
def test_found(detect, recognizer, text, surface, label):
    assert (surface, label) in detect(text)


@pytest.mark.parametrize(
    ("recognizer", "text", "label"), NOT_FOUND, ids=[f"{c[0]}-{i}" for i, c in enumerate(NOT_FOUND)]
)
def test_not_found(detect, recognizer, text, label):
    assert [s for s, lab in detect(text) if lab == label] == []


def test_context_word_turns_a_weak_match_into_a_finding(detect):
    # A bare Luhn-valid 9-digit number is too weak alone; "SIREN" nearby makes it one.
    assert ("732829320", "SIREN") not in detect("Le code 732829320 figure au dossier.")
    assert ("732829320", "SIREN") in detect("Numéro SIREN 732829320 de la société.")


def test_titles_are_outside_person_spans(detect):
    for text in ("M. Dupont", "Mme Martin arrive", "Dr Kerbrat a vu", "Monsieur Durand :"):
        persons = [s for s, lab in detect(text) if lab == "PERSON"]
        assert persons and all(not p.startswith(("M.", "Mme", "Dr", "Monsieur")) for p in persons)
