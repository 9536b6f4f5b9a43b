"""Generate Bulle's bundled French sample table (fictitious patients), deterministically.

Every person is invented: names are drawn at random from common French first names and surnames,
NIR numbers are synthetic with valid control keys, phone numbers use the 06/07 ranges.
Run: python scripts/make_sample_data.py > src/bulle/data/patients_fr.csv
"""

from __future__ import annotations

import csv
import random
import sys

FIRST_F = [
    "Marie",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Julie",
    "Emma",
    "Louise",
    "Anne",
    "Isabelle",
    "Nathalie",
    "Sophie",
    "Céline",
    "Aurélie",
    "Hélène",
    "Martine",
    "Françoise",
    "Zoé",
]
FIRST_M = [
    "Jean",
    "Pierre",
    "Louis",
    "Lucas",
    "Hugo",
    "Thomas",
    "Nicolas",
    "Julien",
    "Antoine",
    "Mathieu",
    "Philippe",
    "Michel",
    "Alain",
    "Éric",
    "Olivier",
    "Karim",
    "Mehdi",
    "Théo",
    "Gabriel",
    "François",
]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefebvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Benali",
    "Nguyen",
    "Le Gall",
    "Perrin",
    "Chevalier",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
]
PLACES = [
    ("75011", "Paris", "75"),
    ("75015", "Paris", "75"),
    ("69003", "Lyon", "69"),
    ("13005", "Marseille", "13"),
    ("31000", "Toulouse", "31"),
    ("33000", "Bordeaux", "33"),
    ("59000", "Lille", "59"),
    ("44000", "Nantes", "44"),
    ("67000", "Strasbourg", "67"),
    ("35000", "Rennes", "35"),
    ("20000", "Ajaccio", "2A"),
    ("20200", "Bastia", "2B"),
    ("21000", "Dijon", "21"),
    ("29200", "Brest", "29"),
    ("63000", "Clermont-Ferrand", "63"),
]
DIAG = [
    ("E11.9", "Diabète de type 2"),
    ("I10", "Hypertension essentielle"),
    ("J45.9", "Asthme"),
    ("C50.9", "Tumeur maligne du sein"),
    ("F32.1", "Épisode dépressif moyen"),
    ("M54.5", "Lombalgie basse"),
    ("N18.3", "Maladie rénale chronique stade 3"),
    ("I21.9", "Infarctus aigu du myocarde"),
    ("K35.8", "Appendicite aiguë"),
    ("O80", "Accouchement unique et spontané"),
]
COMMENTS = [
    "Patient{e} vu{e} en consultation le {d}, revu{e} à trois mois. Bonne observance du traitement.",
    "Adressé{e} par le Dr {doc} pour bilan. Antécédents familiaux à préciser avec la famille.",
    "Hospitalisé{e} du {d} au {d2}. Sortie à domicile, suivi par l'infirmière libérale.",
    "RAS. Prochain rendez-vous à fixer par téléphone avec le secrétariat.",
    "Appel de {first2} {last2} (fille) pour signaler une chute au domicile ; pas de fracture.",
]


def nir(sex: int, year: int, month: int, dept: str, rng: random.Random) -> str:
    commune, order = rng.randint(1, 990), rng.randint(1, 999)
    body = f"{sex}{year % 100:02d}{month:02d}{dept}{commune:03d}{order:03d}"
    numeric = body.replace("2A", "19").replace("2B", "18")
    key = 97 - int(numeric) % 97
    return f"{body}{key:02d}"


def main(n: int = 1000, seed: int = 20261122) -> None:
    rng = random.Random(seed)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(
        [
            "id_patient",
            "nom",
            "prénom",
            "NIR",
            "date_naissance",
            "sexe",
            "code_postal",
            "commune",
            "téléphone",
            "courriel",
            "diagnostic",
            "libellé_diagnostic",
            "commentaire",
        ]
    )
    for i in range(n):
        female = rng.random() < 0.52
        first = rng.choice(FIRST_F if female else FIRST_M)
        last = rng.choice(LAST)
        year, month, day = rng.randint(1930, 2005), rng.randint(1, 12), rng.randint(1, 28)
        cp, city, dept = rng.choice(PLACES)
        e = "e" if female else ""
        code, label = rng.choice(DIAG)
        if code == "O80" and not female:
            code, label = "I10", "Hypertension essentielle"
        comment = rng.choice(COMMENTS).format(
            e=e,
            d=f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2025",
            d2=f"{rng.randint(1, 28):02d}/12/2025",
            doc=rng.choice(LAST),
            first2=rng.choice(FIRST_F),
            last2=last,
        )
        email_user = (
            f"{first}.{last}".lower()
            .replace(" ", "")
            .translate(str.maketrans("éèëêïîçà", "eeeeiica"))
        )
        w.writerow(
            [
                f"P{100000 + i}",
                last.upper(),
                first,
                nir(2 if female else 1, year, month, dept, rng),
                f"{year}-{month:02d}-{day:02d}",
                "F" if female else "M",
                cp,
                city,
                f"0{rng.choice([6, 7])} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                f"{email_user}{rng.randint(1, 99)}@exemple.fr",
                code,
                label,
                comment,
            ]
        )


if __name__ == "__main__":
    main()
