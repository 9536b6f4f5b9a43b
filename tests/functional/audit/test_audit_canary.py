"""Cell values never reach the audit trail: known, unusual values written into a dataset are
searched for in the log (raw bytes) and the catalog's audit tables after every kind of operation
a custodian, an analyst and the DPO can run, and never found. A deliberately leaking event proves
the search finds a value when it is there."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.functional.audit.canary import found

import bulle as bulle_api
from bulle.audit.log import AuditLog
from bulle.domain.actor import Actor
from bulle.domain.consents import Consent
from bulle.errors import AccessDenied

SUBJECT = "PX-CANARI-7731"
NAME = "Quillebœuf"
NIR = "184037511623742"
EMAIL = "zephyrine.quilleboeuf@canari-bulle.example"
BIRTH = "1907-11-29"
SENTENCE = "Zéphyrine Quillebœuf signale une douleur lancinante au genou gauche depuis l'hiver"
CANARIES = [SUBJECT, NAME, NIR, EMAIL, BIRTH, SENTENCE]


_SYNTHESIS_LIMITS = [
    f"BULLE_SETTING_SYNTHESIS_MAX_{n}"
    for n in (
        "SINGLING_OUT_RISK",
        "LINKABILITY_RISK",
        "INFERENCE_RISK",
        "RISK_UPPER_BOUND",
        "EXACT_COPY_EXCESS",
    )
]


def _csv(path):
    rows = ["id_patient,nom,nir,email,date_naissance,sexe,age,compte_rendu"]
    rows.append(f'{SUBJECT},{NAME},{NIR},{EMAIL},{BIRTH},F,41,"{SENTENCE}."')
    for i in range(23):
        rows.append(
            f"P{i:03d},Martin{i},2{i:02d}0375116237{i % 10}{i % 7},m{i}@exemple.fr,"
            f"19{60 + i % 20}-0{1 + i % 9}-1{i % 9},{'MF'[i % 2]},{40 + i % 3},Consultation de routine."
        )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _clean(root, after):
    leaked = found(root, CANARIES)
    assert not leaked, f"after {after}: {leaked} found in the audit trail"


def test_the_canary_search_finds_a_value_written_into_the_log(tmp_path):
    ws = bulle_api.init_workspace(
        tmp_path / "ws", user="carol", custodian_key_out=tmp_path / "c.pem"
    )
    assert found(tmp_path / "ws", CANARIES) == []
    # A raw event, as a bug bypassing the typed events would write it.
    ws._ws.audit_log.append(
        {
            "kind": "dataset.read",
            "actor": Actor("x", "custodian").to_dict(),
            "target": "t@1",
            "details": {"oops": f"{NAME} {EMAIL}", "sentence": SENTENCE},
        }
    )
    ws.close()
    assert found(tmp_path / "ws", CANARIES) == sorted([NAME, EMAIL, SENTENCE])


def test_no_cell_value_reaches_the_audit_trail(tmp_path, bulle, sandbox_host):
    root, csv = tmp_path / "ws", _csv(tmp_path / "patients.csv")
    ok = lambda r: r.code == 0 or pytest.fail(r.err)  # noqa: E731
    ws = bulle_api.init_workspace(root, user="carol", custodian_key_out=tmp_path / "c.pem")
    ws.import_table(csv, dataset="patients")
    _clean(root, "import")
    ws.profile("patients")
    ws.set_roles(
        "patients",
        {
            "id_patient": "subject_id",
            "nom": "direct_identifier",
            "nir": "direct_identifier",
            "email": "direct_identifier",
            "date_naissance": "quasi_identifier",
            "sexe": "quasi_identifier",
            "age": "quasi_identifier",
            "compte_rendu": "free_text",
        },
        confirm_all=True,
    )
    _clean(root, "profile and roles")
    p = ws.pseudonymize("patients@1", reid_table=True)
    token = ws.read(p["ref"], columns=["nom"]).column("nom").to_pylist()[0]
    ws.reidentify(p["ref"], [token], custodian_key=tmp_path / "c.pem")
    _clean(root, "pseudonymize, read and reidentify")
    from bulle.services.text import deidentify_columns

    deidentify_columns(ws._ws, "patients@1", columns=["compte_rendu"], operator="pseudonym")
    _clean(root, "text de-identification")
    ws.export_table("patients@1", tmp_path / "out.csv")
    ws.declare_purpose("soins", "Soins", "public_task", compatible_with=["etude"])
    ws.declare_purpose("etude", "Étude de cohorte", "consent")
    ws.set_dataset_purpose("patients", "soins")
    now = dt.datetime.now(dt.UTC)
    ws.record_choices([Consent(SUBJECT, "etude", "given", now, "formulaire")])
    ws.record_choices(
        [
            Consent("P001", "etude", "given", now, "formulaire"),
            Consent("P002", "etude", "withdrawn", now, "formulaire"),
        ]
    )
    ws.create_project(
        "cohorte",
        "etude",
        {"patients@1": ["id_patient", "age", "compte_rendu"]},
        [("bob", "analyst")],
        now - dt.timedelta(days=1),
        now + dt.timedelta(days=1),
    )
    ws.approve_project("cohorte", allow_raw=True)
    ws.close()
    _clean(root, "export, purposes, consents and projects")
    (tmp_path / "job.py").write_text(
        "from bulle.job import read, crosstab\n"
        "df = read('patients')\n"
        "crosstab(df['age'], df['age'] > 40, name='ages')\n"
        "print(df['compte_rendu'].iloc[0])\n"
    )
    (tmp_path / "leaky.py").write_text(
        "from bulle.job import read\nraise ValueError(read('patients')['id_patient'].tolist())\n"
    )
    from bulle.services import job_outputs, jobs

    with bulle_api.open_workspace(root, user="bob", role="analyst") as bob:
        job = jobs.submit_job(bob._ws, "cohorte", tmp_path / "job.py")
        assert job.state.value == "succeeded", job.reason
        failed = jobs.submit_job(bob._ws, "cohorte", tmp_path / "leaky.py")
        assert failed.reason == "the job exited with status 1"  # no row reaches the analyst
        job_outputs.mitigate_output(bob._ws, job.id, "ages", "suppress")
    with bulle_api.open_workspace(root, user="cleo", role="checker") as cleo:
        job_outputs.review_output(cleo._ws, job.id, "ages", approve=True, comment="ok")
    with bulle_api.open_workspace(root, user="cyd", role="checker") as cyd:
        job_outputs.review_output(cyd._ws, job.id, "ages", approve=True, comment="ok too")
    with bulle_api.open_workspace(root, user="bob", role="analyst") as bob:
        job_outputs.download_output(bob._ws, job.id, "ages", tmp_path / "released")
    _clean(root, "jobs in the bubble, their outputs, reviews and release")
    with bulle_api.open_workspace(root, user="bob", role="analyst") as bob:
        assert (
            SUBJECT
            in bob.read_for_project("cohorte", "patients@1").column("id_patient").to_pylist()
        )
        bob.query(
            "cohorte",
            "SELECT id_patient, compte_rendu FROM patients WHERE id_patient = 'PX-CANARI-7731'",
        )
        with pytest.raises(AccessDenied):
            bob.audit_log()
    _clean(root, "an analyst's read and query")
    w = ["-w", root]
    hier = tmp_path / "h.csv"
    ok(
        bulle(
            *w,
            "hierarchy",
            "build",
            "patients@1",
            "--kind",
            "flat",
            "--column",
            "sexe",
            "--output",
            hier,
        )
    )
    ok(
        bulle(
            *w,
            "hierarchy",
            "build",
            "patients@1",
            "--kind",
            "interval",
            "--width",
            "5",
            "--column",
            "age",
            "--output",
            tmp_path / "age.csv",
        )
    )
    ok(
        bulle(
            *w,
            "risk",
            "patients@1",
            "--qi",
            "sexe",
            "--qi",
            "age",
            "--subject-id",
            "id_patient",
            "--json",
        )
    )
    ok(
        bulle(
            *w,
            "anonymize",
            "patients@1",
            "--hierarchy",
            f"sexe={hier}",
            "--hierarchy",
            f"age={tmp_path / 'age.csv'}",
            "--drop",
            "date_naissance",
            "--k",
            "2",
            "--suppression",
            "0.5",
            "--json",
        )
    )
    fast = {"BULLE_SETTING_SYNTHESIS_PRIVACY_ATTACKS": "50"}
    made = bulle(*w, "synthesize", "patients@1", "--method", "cart", "--json", env=fast)
    ok(made)
    strict = {**fast, "BULLE_SETTING_SYNTHESIS_MAX_EXACT_COPY_EXCESS": "0"}
    for limits in (strict, {**fast, **dict.fromkeys(_SYNTHESIS_LIMITS, "1")}):
        ref = made.json()["ref"]
        bulle(*w, "synthetic", "mark-anonymous", ref, "--reason", "revue DPO", env=limits)
    _clean(root, "hierarchy, risk, anonymize, synthesize and mark-anonymous")
    with bulle_api.open_workspace(root, user="dora", role="dpo") as dpo:
        dpo.access_report(SUBJECT)
        dpo.verify_audit_log()
        dpo.audit_log(limit=0)
    _clean(root, "the DPO's access report and audit reading")
    ok(bulle(*w, "export", tmp_path / "export", "--json"))
    ok(bulle("import-workspace", tmp_path / "export", tmp_path / "ws2", "--json"))
    _clean(tmp_path / "ws2", "export and import of the workspace")
    ok(bulle(*w, "backup", tmp_path / "backup", "--json"))
    ok(bulle("restore", tmp_path / "backup", tmp_path / "ws3", "--json"))
    _clean(tmp_path / "ws3", "backup and restore of the workspace")
    ok(bulle(*w, "subject", "erase", SUBJECT, "--yes", "--json"))
    ok(bulle(*w, "audit", "verify", "--json"))
    ok(bulle(*w, "audit", "log", "--limit", "0", "--json"))
    _clean(root, "erasure and audit verify/log")
    kinds = {e.event["kind"] for e in AuditLog.open(root / "audit" / "log.jsonl").read()}
    assert {
        "dataset.import",
        "dataset.profile",
        "dataset.roles",
        "dataset.pseudonymize",
        "key.reidentify",
        "dataset.text",
        "dataset.export",
        "purpose.declare",
        "consent.change",
        "project.change",
        "project.approve",
        "dataset.read",
        "dataset.anonymize",
        "dataset.synthesize",
        "dataset.synthetic_mark",
        "subject.access",
        "workspace.export",
        "workspace.backup",
        "subject.erase",
        "audit.verify",
        "audit.read",
        "job.submit",
        "job.finish",
        "output.check",
        "output.review",
        "output.release",
        "output.download",
    } <= kinds


def test_no_account_secret_reaches_the_audit_trail(tmp_path, bulle):
    """Passwords (right, wrong, typed in the name field), tokens, session ids, CSRF tokens and
    TOTP secrets never reach the log or the catalog's audit tables, through the CLI and the
    sign-in services alike; each account operation leaves its typed event."""
    from bulle.auth import totp
    from bulle.errors import Unauthenticated
    from bulle.services import auth

    root = tmp_path / "ws"
    bulle_api.init_workspace(root, user="carol", custodian_key_out=tmp_path / "c.pem").close()
    ok = lambda r: r.code == 0 or pytest.fail(r.err)  # noqa: E731
    passwords = ["Canari-mot-de-passe-4417", "Canari-nouveau-9921", "Canari-faux-0032"]
    for i, p in enumerate(passwords[:2]):
        (tmp_path / f"pw{i}").write_text(p + "\n")
    w = ["-w", root]
    ok(
        bulle(
            *w, "user", "add", "alice", "--role", "custodian", "--password-file", tmp_path / "pw0"
        )
    )
    ok(bulle(*w, "user", "add", "bob", "--role", "analyst", "--password-file", tmp_path / "pw0"))
    uri = bulle(*w, "user", "totp", "alice")
    ok(uri)
    secret = uri.out.split("secret=")[1].split("&")[0]
    token = bulle(*w, "token", "create", "bob", "--json")
    ok(token)
    ok(bulle(*w, "token", "revoke", token.json()["id"]))
    ok(bulle(*w, "user", "password", "bob", "--password-file", tmp_path / "pw1"))
    with bulle_api.open_workspace(root, user="carol") as api:
        ws = api._ws
        s = auth.login(ws, "bob", passwords[1], address="192.0.2.44")
        for name, pw in (("bob", passwords[2]), (passwords[2], passwords[0])):
            with pytest.raises(Unauthenticated):
                auth.login(ws, name, pw, address="192.0.2.44")
        code = totp.totp(totp.decode_secret(secret), dt.datetime.now(dt.UTC))
        a = auth.login(ws, "alice", passwords[0], totp_code=code)
        auth.lookup_session(ws, s.session_id)
        auth.logout(ws, s.session_id)
    ok(bulle(*w, "user", "disable", "bob"))
    secrets = [*passwords, secret, token.json()["token"], s.session_id, s.csrf_token, a.session_id]
    leaked = found(root, secrets)
    assert not leaked, f"{leaked} found in the audit trail"
    kinds = {e.event["kind"] for e in AuditLog.open(root / "audit" / "log.jsonl").read()}
    assert {
        "account.create",
        "account.totp_enrol",
        "account.password",
        "account.disable",
        "auth.token_create",
        "auth.token_revoke",
        "auth.login",
        "auth.login_failed",
        "auth.logout",
    } <= kinds
