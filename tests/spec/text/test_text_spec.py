"""What issue 4 asks of detection, checked on short French texts: the labels, the span rules
(titles outside, speaker labels, handles) and the output offsets."""

from __future__ import annotations

from bulle.text.entities import LABELS
from bulle.text.service import deidentify_texts, detect


def test_labels_are_exactly_bulles():
    assert set(LABELS) == {
        "PERSON",
        "LOCATION",
        "ORGANIZATION",
        "DATE",
        "EMAIL",
        "PHONE",
        "NIR",
        "IBAN",
        "SIREN",
        "SIRET",
        "CREDIT_CARD",
        "IP_ADDRESS",
        "URL",
        "LICENSE_PLATE",
        "RECORD_ID",
    }


def test_detect_returns_code_point_offsets_and_only_bulle_labels(detector):
    texts = [
        "Émilie Dupré 🙂 a écrit à émilie.dupre@exemple.fr le 3 février 2025.",
        "DUPONT. - Je réponds à Mme Martin.",
    ]
    result = detect(texts, n_process=1)
    for text, ents in zip(texts, result, strict=True):
        for e in ents:
            assert e.label in LABELS
            assert 0 <= e.start < e.end <= len(text)
    spans = {(texts[0][e.start : e.end], e.label) for e in result[0]}
    assert ("émilie.dupre@exemple.fr", "EMAIL") in spans
    assert ("3 février 2025", "DATE") in spans
    persons = {texts[1][e.start : e.end] for e in result[1] if e.label == "PERSON"}
    assert persons == {"DUPONT", "Martin"}


def test_deidentify_texts_service(detector):
    out = deidentify_texts(
        ["M. Jean Dupont habite à Lyon.", "Dupont est parti."], "placeholder", n_process=1
    )
    assert out == ["M. <PERSON_1> habite à <LOCATION_1>.", "<PERSON_1> est parti."]


def test_transcript_conventions(detector):
    text = (
        "EMMANUEL MACRON\nJe crois que la France doit rester ouverte.\n\n"
        "MARINE LE PEN\nVous avez tort, monsieur Macron.\n\n"
        "EMMANUEL MACRON\nNon, et les femmes d'Alençon ou de Domfront le savent.\n"
    )
    (ents,) = detect([text], n_process=1)
    spans = {(text[e.start : e.end], e.label) for e in ents}
    assert {
        ("EMMANUEL MACRON", "PERSON"),
        ("MARINE LE PEN", "PERSON"),
        ("Macron", "PERSON"),
        ("France", "LOCATION"),
        ("Alençon", "LOCATION"),
    } <= spans
    assert ("Domfront", "PERSON") not in spans


def test_local_offices_name_their_place_and_roles_are_not_names(detector):
    text = (
        "M. LE MAIRE. - La séance est ouverte.\nOn va à l'hôpital de Guéret tous les mois, "
        "merci monsieur le maire."
    )
    (ents,) = detect([text], n_process=1)
    spans = {(text[e.start : e.end], e.label) for e in ents}
    assert ("Guéret", "LOCATION") in spans
    assert not [s for s, lab in spans if lab == "PERSON"]


def test_lower_case_automatic_transcript(detector):
    text = (
        "[00:00:03] bonsoir à tous ce soir on reçoit valérie pécresse présidente de la région "
        "île-de-france\n[00:00:15] pécresse : merci euh les transports avec la ratp et la sncf "
        "ça s'améliore\n[00:00:31] faure : c'est pas vrai madame pécresse les usagers à "
        "saint-denis attendent encore\n"
    )
    (ents,) = detect([text], n_process=1)
    spans = {(text[e.start : e.end], e.label) for e in ents}
    assert {
        ("valérie pécresse", "PERSON"),
        ("pécresse", "PERSON"),
        ("faure", "PERSON"),
        ("île-de-france", "LOCATION"),
        ("sncf", "ORGANIZATION"),
        ("saint-denis", "LOCATION"),
    } <= spans
