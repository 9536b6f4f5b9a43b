"""The web UI in a real browser, as its users work: the custodian imports, anonymizes and governs,
the analyst queries inside a project and is refused outside it, the DPO reads and verifies the
log, the public reads the register. The tests run in order and build on each other's work (one
server for the module); every page visited is screenshotted and checked with axe-core."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from importlib import resources

import httpx
import pytest

# The tests build on each other's work in one server and one browser, in order: `make test` runs
# them in a process of their own after the rest. Split over xdist workers they could not work, so
# they are skipped there (saying why), never run half.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("PYTEST_XDIST_WORKER")),
    reason="browser tests run on their own, in order: pytest tests/browser (make test does)",
)

PATIENTS = resources.files("bulle") / "data" / "patients_fr.csv"
QI = {
    "date_naissance": ("date", "year,decade"),
    "code_postal": ("mask", "4,3,2"),
    "commune": ("flat", ""),
    "sexe": ("flat", ""),
}


@pytest.fixture(scope="module")
def custodian(login):
    context, page = login("alice", totp=True)
    yield page
    context.close()


def wait_task_done(page) -> None:
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f]+$"))
    seen_running = page.get_attribute("#task", "data-state") in ("queued", "running")
    page.evaluate("window.stillTheSamePage = true")  # gone if the page were reloaded
    page.wait_for_selector("#task[data-state=done], #task[data-state=failed]", timeout=120_000)
    assert page.get_attribute("#task", "data-state") == "done", page.inner_text("main")
    if seen_running:  # its end was pushed (server-sent events) and shown without a reload
        assert page.evaluate("window.stillTheSamePage") is True


def test_a_wrong_password_fails_and_opens_no_session(browser, site, check, login):
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    page.goto("/login")
    check(page, "login")
    page.fill("#username", "alice")
    page.fill("#password", "not the password")
    with page.expect_response(
        lambda r: r.url.endswith("/login") and r.request.method == "POST"
    ) as r:
        page.click("main button[type=submit]")
    assert r.value.status == 401
    assert page.locator("[role=alert]").is_visible()
    assert "/login" in page.url
    assert not [c for c in context.cookies() if c["name"] == "bulle_session"]
    check(page, "login-failed")
    page.goto("/datasets")  # still not signed in: sent back to the sign-in page
    assert "/login" in page.url and "next=" in page.url
    context.close()


def test_the_custodian_imports_a_csv_through_the_upload_form(custodian, site, check):
    page = custodian
    page.goto("/import")
    check(page, "import")
    page.fill("#dataset", "patients")
    page.set_input_files("#file", str(PATIENTS))
    page.click("#upload-form button[type=submit]")
    wait_task_done(page)
    check(page, "task-import")
    assert "patients@1" in page.inner_text("main")
    page.click("a[href='/versions/patients@1/profile']")
    check(page, "profile")
    assert page.locator("select[name='role:nom']").input_value() == "direct_identifier"
    with page.expect_navigation():  # the form posts back to this same URL: wait for the answer
        page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/versions/patients@1/profile$"))
    assert "non" not in page.locator("tbody td:last-child").all_inner_texts()


def test_the_custodian_pseudonymizes_then_anonymizes_and_sees_the_report(custodian, site, check):
    page = custodian
    page.goto("/datasets/patients")
    with page.expect_navigation():  # posts from this page back to it: wait for the answer
        page.click("form[action='/versions/patients@1/pseudonymize'] button")
    page.wait_for_url(re.compile(r"/datasets/patients$"))
    assert page.locator("svg.lineage").is_visible()
    assert "patients@2" in page.locator("svg.lineage").text_content()
    check(page, "dataset")
    page.goto("/versions/patients@2/anonymize")
    check(page, "anonymize")
    for select in page.locator("select[name^='treat:']").all():
        column = select.get_attribute("name")[len("treat:") :]
        if column in QI:
            select.select_option("generalize")
            kind, param = QI[column]
            page.locator(f"select[name='kind:{column}']").select_option(kind)
            page.locator(f"input[name='param:{column}']").fill(param)
        elif column == "diagnostic":
            select.select_option("sensitive")
        else:
            select.select_option("drop")
    page.fill("input[name='model:k']", "5")
    page.fill("input[name='model:l_diversity']", "distinct:2")
    page.fill("#suppression", "5")
    page.click("button[name=action][value=preview]")  # the hierarchies first, as they will be
    preview = page.locator("#h-preview ~ div table.hierarchy").first
    assert preview.locator("tr").count() == 8
    assert page.locator("input[name='param:date_naissance']").input_value() == "year,decade"
    assert page.locator("input[name='model:k']").input_value() == "5"
    check(page, "anonymize-preview")
    page.click("button[name=action][value=run]")
    wait_task_done(page)
    check(page, "task-anonymize")
    page.click("a[href$='/report']")
    page.wait_for_url(re.compile(r"/versions/patients@3/report$"))
    report = page.locator(".risk-report")
    assert report.locator("svg").count() >= 1  # the plots come with the report
    assert "%" in report.inner_text()
    check(page, "report")


def test_the_custodian_reuses_a_hierarchy_the_workspace_stored(custodian, check):
    page = custodian
    page.goto("/versions/patients@2/anonymize")
    stored = page.locator("select[name='stored:code_postal']")
    options = stored.locator("option").all_inner_texts()
    assert any(o.startswith("patients@3") for o in options)  # kept with the release made above
    assert page.locator("select[name='stored:nom']").count() == 0  # none stored for it
    page.locator("select[name='treat:code_postal']").select_option("generalize")
    stored.select_option(index=1)
    page.locator("select[name='kind:code_postal']").select_option("flat")  # ignored: stored
    page.click("button[name=action][value=preview]")
    heading = page.locator("#h-preview ~ h3", has_text="code_postal")
    assert heading.locator(".badge").count() == 1  # shown as stored, not built
    rows = page.locator("#h-preview ~ div table.hierarchy").first.locator("tr")
    assert rows.count() > 0 and rows.first.locator("td").count() >= 2  # a leaf and its levels
    assert page.locator("select[name='stored:code_postal']").input_value() != ""
    check(page, "anonymize-stored-hierarchy")


def test_the_custodian_declares_purposes_consents_and_a_project(custodian, site, check):
    page = custodian
    page.goto("/purposes")
    page.fill("#name", "recherche-diabete")
    page.fill("#description", "Étude sur le diabète de type 2")
    page.select_option("#legal_basis", "consent")
    page.check("input[name=special_categories]")
    page.select_option("#art9_condition", "explicit_consent")
    page.click("form[action='/purposes'] button")
    assert "recherche-diabete" in page.inner_text("table")
    check(page, "purposes")
    for name in ("patients", "naissances"):
        page.goto(f"/datasets/{name}")
        page.select_option("#purpose", "recherche-diabete")
        page.click(f"form[action='/datasets/{name}/purpose'] button")
    choices = site.data / "consents.csv"
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat()
    choices.write_text(
        "subject_id,purpose,status,at,source\n"
        + "".join(f"P1000{i:02d},recherche-diabete,given,{at},formulaire\n" for i in range(60))
    )
    page.goto("/consents")
    page.set_input_files("#file", str(choices))
    page.click("form[action='/consents/import'] button")
    assert "60" in page.inner_text("[role=status]")
    page.fill("#subject", "P100001")
    page.click("form[role=search] button")
    assert "recherche-diabete" in page.inner_text("main table")
    check(page, "consents")
    page.goto("/projects")
    page.fill("#name", "etude-diabete")
    page.select_option("#purpose", "recherche-diabete")
    page.fill("#datasets", "patients@2: id_patient, sexe, code_postal, diagnostic")
    page.fill("#members", "bob:analyst")
    today = dt.date.today()
    page.fill("#valid_from", (today - dt.timedelta(days=1)).isoformat())
    page.fill("#valid_until", (today + dt.timedelta(days=365)).isoformat())
    page.click("form[action='/projects'] button")
    page.select_option("form[action='/projects/etude-diabete/approve'] select", "view")
    page.click("form[action='/projects/etude-diabete/approve'] button")
    assert page.locator("form[action='/projects/etude-diabete/approve']").count() == 0
    page.fill("#name", "publication")  # a second project, on the anonymized release
    page.select_option("#purpose", "recherche-diabete")
    page.fill("#datasets", "patients@3: sexe, code_postal, diagnostic")
    page.fill("#members", "bob:analyst")
    page.fill("#valid_from", (today - dt.timedelta(days=1)).isoformat())
    page.fill("#valid_until", (today + dt.timedelta(days=365)).isoformat())
    page.click("form[action='/projects'] button")
    page.select_option("form[action='/projects/publication/approve'] select", "export")
    page.click("form[action='/projects/publication/approve'] button")
    page.locator(
        "details.register-details", has=page.locator("#project-etude-diabete-outcomes")
    ).locator("summary").click()
    page.fill("#project-etude-diabete-outcomes", "Article soumis à une revue (2027)")
    page.locator(
        "form[action='/register/details']", has=page.locator("#project-etude-diabete-outcomes")
    ).locator("button").click()
    check(page, "projects")
    page.goto("/purposes")
    page.locator(
        "details.register-details", has=page.locator("#purpose-recherche-diabete-retention")
    ).locator("summary").click()
    page.fill("#purpose-recherche-diabete-retention", "5 ans après la fin de l'étude")
    page.locator(
        "form[action='/register/details']", has=page.locator("#purpose-recherche-diabete-retention")
    ).locator("button").click()
    assert page.url.endswith("/purposes")


def test_the_analyst_runs_an_sql_aggregate_and_is_refused_outside_the_project(
    browser, site, check, login
):
    context, page = login("bob")
    assert page.url.endswith("/my/projects")
    check(page, "my-projects")
    page.click("a[href='/projects/etude-diabete']")
    check(page, "project")
    page.fill("#sql", "SELECT sexe, count(*) AS n FROM patients GROUP BY sexe ORDER BY sexe")
    page.click("form[action='/projects/etude-diabete/sql'] button")
    rows = page.locator("#sql-result tbody tr")
    assert rows.count() == 2
    counts = [int(x) for x in page.locator("#sql-result tbody td:last-child").all_inner_texts()]
    assert sum(counts) == 60  # only the people who consented to the project's purpose
    check(page, "sql")
    page.goto("/projects/etude-diabete/rows?ref=patients@2")
    assert page.locator("#preview-table thead th").all_inner_texts() == [
        "id_patient", "sexe", "code_postal", "diagnostic"
    ]  # fmt: skip
    check(page, "preview")
    assert page.locator("a[download]").count() == 0  # row access "view": no file leaves
    page.goto("/projects/publication")
    with page.expect_download() as download:
        page.click("a[download][href$='format=csv']")
    rows = list(csv.reader(download.value.path().read_text().splitlines()))
    assert rows[0] == ["sexe", "code_postal", "diagnostic"] and len(rows) > 1
    page.goto("/projects/etude-diabete")
    with page.expect_response(re.compile(r"/rows\?ref=naissances")) as r:
        page.fill("#ref", "naissances")
        page.click("form[action='/projects/etude-diabete/rows'] button")
    assert r.value.status == 403
    refusal = page.inner_text("[role=alert]")
    assert "naissances" in refusal and "etude-diabete" in refusal
    check(page, "refused")
    with page.expect_response(re.compile(r"/datasets$")) as r:
        page.goto("/datasets")  # the custodian's pages are not the analyst's
    assert r.value.status == 403
    context.close()


def test_an_analyst_outside_the_project_sees_neither_it_nor_its_rows(login):
    context, page = login("carol")
    assert page.locator("a[href='/projects/etude-diabete']").count() == 0
    for path in ("/projects/etude-diabete", "/projects/etude-diabete/rows?ref=patients@2"):
        with page.expect_response(re.compile(re.escape(path.split("?")[0]))) as r:
            page.goto(path)
        assert r.value.status == 403
    context.close()


def test_the_dpo_filters_the_log_and_verifies_the_chain(browser, site, check, login):
    context, page = login("dora")
    assert page.url.endswith("/audit")
    check(page, "audit")
    page.fill("#who", "bob")
    page.click("form.filters button")
    who = page.locator("#audit-table tbody td:nth-child(3)").all_inner_texts()
    assert who and all(w.startswith("bob") for w in who)
    page.goto("/audit?who=&kind=dataset.read&target=")
    kinds = set(page.locator("#audit-table tbody td:nth-child(4)").all_inner_texts())
    assert kinds == {"dataset.read"}
    page.click("form[action='/audit/verify'] button")
    assert "ok" in page.get_attribute("#verdict", "class")
    check(page, "verify")
    page.goto("/register")
    assert "recherche-diabete" in page.inner_text("#register-table")
    assert "5 ans après la fin de l'étude" in page.inner_text("#register-table")
    check(page, "register")
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    csv_text = httpx.get(f"{site.url}/register.csv", cookies=cookies).text
    assert next(csv.DictReader(csv_text.splitlines()))["purpose"] == "recherche-diabete"
    page.goto("/subjects/report?subject=P100001")
    letter = page.inner_text("article.letter")
    assert "article 15" in letter and "etude-diabete" in letter
    assert "5 ans après la fin de l'étude" in letter  # the purpose's retention, from the register
    check(page, "access-report")
    context.close()


def test_the_public_register_shows_the_approved_project_and_no_personal_data(
    browser, site, check, login
):
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    page.goto("/transparency")
    check(page, "transparency")
    text = page.inner_text("body")
    assert "etude-diabete" in text and "recherche-diabete" in text
    assert "Article soumis à une revue (2027)" in text
    with PATIENTS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    personal = {"id_patient", "nom", "prénom", "NIR", "date_naissance", "téléphone", "courriel"}
    values = {r[c] for r in rows for c in personal} | {"alice", "bob", "carol", "dora"}
    leaked = sorted(v for v in values if len(v) > 3 and v in text)
    assert not leaked
    context.close()


def test_the_language_choice_is_remembered(browser, site, check, login):
    context, page = login("bob")
    assert page.inner_text("h1") == "Mes projets"
    page.click("button[name=lang][value=en]")
    assert page.inner_text("h1") == "My projects"
    page.goto("/me/tokens")
    assert page.inner_text("h1") == "My API tokens"
    page.click("form[action='/me/tokens'] button")
    token = page.inner_text("#new-token")
    check(page, "tokens")
    assert (
        httpx.get(f"{site.url}/api/v1/whoami", headers={"authorization": f"Bearer {token}"}).json()[
            "name"
        ]
        == "bob"
    )
    page.click("form[action$='/revoke'] button")
    assert (
        httpx.get(
            f"{site.url}/api/v1/whoami", headers={"authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )
    assert "password for the browser tests" not in page.content()
    context.close()


def test_the_custodian_erases_a_person_and_gets_the_receipt(custodian, check):
    page = custodian
    page.goto("/subjects")
    check(page, "subjects")
    page.fill("#erase-subject", "P100059")
    page.click("form[action='/subjects/erase'] button")
    wait_task_done(page)
    receipt = page.inner_text("dl.facts")
    assert "receipt_id" in receipt and "erasure-" in receipt
    check(page, "erasure-receipt")
    page.goto("/consents?subject=P100059")
    assert page.locator("main table").count() == 0  # the person's choices went with them
