"""The custodian-only rule and the choices rule of ``governance.access``: decisions with reasons."""

from __future__ import annotations

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied
from bulle.governance import access


@pytest.mark.parametrize("role", list(Role))
def test_only_the_custodian_administers_deny_by_default(role):
    d = access.can_administer(Actor("x", role), "rotate keys", scope="vault")
    assert d.allowed is (role is Role.CUSTODIAN)
    if d.allowed:
        assert d.reason == "custodian 'x' may rotate keys"
        assert d.require() is d
    else:
        assert [x.rule for x in d.denials] == [access.Rule.ROLE]
        assert d.reason.startswith("only a custodian may rotate keys; 'x' acts as " + role.value)
        assert "through a project" in d.reason  # the vault says where analysts read instead
        with pytest.raises(AccessDenied, match="only a custodian may rotate keys") as err:
            d.require()
        assert err.value.problems[0].where.field == "role"


def test_workspace_scope_says_why():
    d = access.can_administer(Actor("bob", Role.ANALYST), "export a workspace", scope="workspace")
    assert d.reason == (
        "only a custodian may export a workspace: it carries every dataset of the "
        "workspace ('bob' acts as analyst)"
    )


@pytest.mark.parametrize(
    ("actor", "ids", "allowed", "rule"),
    [
        (Actor("alice", Role.CUSTODIAN), ["s1", "s2"], True, None),
        (Actor("s1", Role.SUBJECT), ["s1", "s1"], True, None),
        (Actor("s1", Role.SUBJECT), ["s1", "s2"], False, access.Rule.SUBJECT),
        (Actor("bob", Role.ANALYST), ["s1"], False, access.Rule.ROLE),
        (Actor("dora", Role.DPO), ["s1"], False, access.Rule.ROLE),
        (Actor("bulle", Role.SYSTEM), ["s1"], False, access.Rule.ROLE),
    ],
)
def test_choices_are_the_custodians_or_the_subjects_own(actor, ids, allowed, rule):
    d = access.can_record_choices(actor, ids)
    assert d.allowed is allowed
    assert d.reason
    if not allowed:
        assert [x.rule for x in d.denials] == [rule]
