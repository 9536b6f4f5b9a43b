"""An erasure stopped by an error stays pending (its versions refused, naming it) until it is
resumed; an open in the same process never takes it over, an explicit erasure does."""

from __future__ import annotations

import pytest

from bulle.errors import IntegrityError, WithheldError
from bulle.services import governance as gov
from bulle.services import subject_rights as sr
from bulle.services import vault
from bulle.services.pseudonymization import pseudonymize
from bulle.services.vault import set_roles
from bulle.workspace import Workspace


def test_an_erasure_stopped_by_an_error_is_resumed_by_erasing_again(world, monkeypatch):
    c = world["custodian"]
    set_roles(c, "patients@1", confirm_all=True)
    pseudonymize(c, "patients@1")  # patients@2, recomputed after the rewrite
    original, calls = Workspace.rewrite_version, []

    def fails_on_the_second(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise IntegrityError("the disk went away")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Workspace, "rewrite_version", fails_on_the_second)
    with pytest.raises(IntegrityError):
        sr.erase_subject(c, "P3")
    monkeypatch.setattr(Workspace, "rewrite_version", original)
    (receipt,) = [r[0] for r in c.catalog.con.execute("SELECT receipt_id FROM erasure_journal")]
    for ref in ("patients@1", "patients@2"):  # patients@1 is rewritten already, patients@2 is not
        with pytest.raises(WithheldError, match=f"erasure {receipt} is pending"):
            vault.read_table(c, ref)
    with pytest.raises(WithheldError, match=receipt):
        gov.read_for_project(world["analyst"], "diabete", "patients")
    with Workspace.open(world["root"], c.actor):  # this process is alive: an open leaves it alone
        pass
    assert c.catalog.con.execute("SELECT count(*) FROM erasure_journal").fetchone()[0] == 1

    out = sr.erase_subject(c, "P3")

    assert out.receipt_id == receipt and out.resumed is True
    assert [r["ref"] for r in out.rewritten] == ["patients@1"] and out.rewritten[0][
        "rows_removed"
    ] == 1
    assert [r["ref"] for r in out.recomputed] == ["patients@2"]
    assert [t["receipt_id"] for t in c.catalog.resolve("patients@1").tombstones] == [
        receipt
    ]  # rewritten once
    assert vault.read_table(c, "patients@2").num_rows == 5
    assert c.catalog.con.execute("SELECT count(*) FROM erasure_journal").fetchone()[0] == 0
