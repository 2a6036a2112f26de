"""The rules of single sign-on and the operator's list, without a database: which e-mail a
provider's identity may be matched by, and how a person's state is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from overgang.config import Settings
from overgang.domain.people import ProviderIdentity, email_to_match, state_of

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def identity(email: str | None, *, verified: bool) -> ProviderIdentity:
    return ProviderIdentity(
        issuer="https://idp.rn.dk", subject="s1", email=email, email_verified=verified
    )


def test_a_verified_email_is_matched_as_people_are_told_apart_by_it() -> None:
    assert email_to_match(identity(" Anne@RN.dk", verified=True), trust_email=False) == "anne@rn.dk"


@pytest.mark.parametrize(
    ("email", "verified", "trusted", "matched"),
    [
        ("anne@rn.dk", False, False, None),  # unverified: could be anyone's
        ("anne@rn.dk", False, True, "anne@rn.dk"),  # a provider that sets every address
        (None, True, True, None),
        ("not an address", True, True, None),
    ],
)
def test_an_email_the_provider_does_not_vouch_for_matches_no_one(
    email: str | None, verified: bool, trusted: bool, matched: str | None
) -> None:
    assert email_to_match(identity(email, verified=verified), trust_email=trusted) == matched


def test_a_person_s_state_disabled_before_locked_before_active_or_invited() -> None:
    later = NOW + timedelta(minutes=5)
    assert state_of(disabled_at=NOW, locked_until=later, has_signed_in=True, now=NOW) == "disabled"
    assert state_of(disabled_at=None, locked_until=later, has_signed_in=True, now=NOW) == "locked"
    assert state_of(disabled_at=None, locked_until=NOW, has_signed_in=True, now=NOW) == "active"
    assert state_of(disabled_at=None, locked_until=None, has_signed_in=False, now=NOW) == "invited"


def test_single_sign_on_is_configured_whole_or_not_at_all() -> None:
    url = "https://idp.rn.dk/.well-known/openid-configuration"
    assert not Settings().sso_enabled
    assert Settings(sso_discovery_url=url, sso_client_id="c", sso_client_secret="s").sso_enabled
    with pytest.raises(ValidationError, match="needs a client id and secret"):
        Settings(sso_discovery_url=url, sso_client_id="c")
    with pytest.raises(ValidationError, match="must include openid"):
        Settings(sso_scopes="email profile")
