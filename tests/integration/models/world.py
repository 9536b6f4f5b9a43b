"""Builds a workspace with people P0..P(n-1) collected for care, a consent-based research purpose every
person consented to, and project ``study`` (analyst bob) reading the raw import."""

from __future__ import annotations

import datetime as dt
import random

from bulle.domain.actor import Actor, Role
from bulle.domain.consents import Consent
from bulle.services import governance as gov
from bulle.services.vault import import_table
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)
JOBS = ["clerk", "nurse", "engineer", "farmer", "teacher", "driver"]


def people_csv(n: int, seed: int = 7, skip: frozenset[int] = frozenset()) -> str:
    """Rows of ``n`` people (some with two rows), the outcome depending on age, job and dose."""
    rng = random.Random(seed)
    lines = ["id_patient,age,job,dose,outcome"]
    for i in range(n):
        for _ in range(1 + (i % 5 == 0)):
            age, job, dose = rng.randint(18, 90), rng.choice(JOBS), round(rng.uniform(0, 10), 2)
            score = (age - 50) / 15 + (job in ("engineer", "teacher")) + dose / 5 - 1
            label = "yes" if score + rng.gauss(0, 1) > 0 else "no"
            if i not in skip:
                lines.append(f"P{i},{age},{job},{dose},{label}")
    return "\n".join(lines) + "\n"


def make_world(root, csv_text: str, n: int, *, consent: bool = True) -> Workspace:
    custodian = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    src = root.parent / f"{root.name}-people.csv"
    src.write_text(csv_text)
    import_table(custodian, src, "people")
    gov.declare_purpose(custodian, "care", "Soins", "public_task", compatible_with=["research"])
    gov.declare_purpose(custodian, "research", "Recherche", "consent")
    gov.set_dataset_purpose(custodian, "people", "care")
    if consent:
        gov.record_choices(
            custodian,
            [
                Consent(f"P{i}", "research", "given", NOW - dt.timedelta(days=3), "form")
                for i in range(n)
            ],
        )
    gov.create_project(
        custodian,
        "study",
        "research",
        {"people": ["id_patient", "age", "job", "dose", "outcome"]},
        [("bob", "analyst")],
        NOW - dt.timedelta(days=10),
        NOW + dt.timedelta(days=30),
        kind="import",
    )
    gov.approve_project(custodian, "study", allow_raw=True)
    return custodian
