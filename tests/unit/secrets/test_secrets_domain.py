"""Rotation with a grace period, validation of pasted secrets, and the keyring's sealing."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.adapters.secrets import (
    KEY_FILE,
    PLAIN_PREFIX,
    Keyring,
    SecretsUnavailable,
    load_keyring,
    new_key,
)
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.secrets import MerchantSecret, SecretKind, last4, validate_secret

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(hours=24)


def _secret(value: str = "first-secret-1234") -> MerchantSecret:
    return MerchantSecret("m1", SecretKind.SHOPIFY_WEBHOOK, value, T0)


def test_a_new_secret_alone_is_accepted() -> None:
    assert _secret().accepted(T0, GRACE) == ("first-secret-1234",)


def test_the_previous_secret_is_honoured_until_the_grace_period_ends() -> None:
    rotated = _secret().rotate("second-secret-5678", T0 + timedelta(days=3))
    at = T0 + timedelta(days=3)
    assert rotated.accepted(at, GRACE) == ("second-secret-5678", "first-secret-1234")
    assert rotated.accepted(at + GRACE - timedelta(seconds=1), GRACE)[1] == "first-secret-1234"
    assert rotated.accepted(at + GRACE, GRACE) == ("second-secret-5678",)
    assert rotated.accepted(at, timedelta(0)) == ("second-secret-5678",)


def test_setting_the_same_secret_again_changes_nothing() -> None:
    s = _secret()
    assert s.rotate("first-secret-1234", T0 + timedelta(hours=1)) is s


def test_rotating_twice_forgets_the_oldest() -> None:
    twice = _secret().rotate("second-secret", T0).rotate("third-secret", T0 + timedelta(hours=1))
    assert twice.accepted(T0 + timedelta(hours=1), GRACE) == ("third-secret", "second-secret")


@given(
    seconds_after=st.integers(min_value=0, max_value=60 * 86400),
    grace_seconds=st.integers(min_value=0, max_value=30 * 86400),
)
def test_the_previous_secret_is_accepted_exactly_within_the_grace(
    seconds_after: int, grace_seconds: int
) -> None:
    rotated = _secret().rotate("next-secret-9999", T0)
    at = T0 + timedelta(seconds=seconds_after)
    accepted = rotated.accepted(at, timedelta(seconds=grace_seconds))
    assert accepted[0] == "next-secret-9999"
    assert ("first-secret-1234" in accepted) == (seconds_after < grace_seconds)


def test_a_pasted_secret_is_trimmed_and_checked() -> None:
    assert validate_secret("  shpss_abcdef123456\n", field="f") == "shpss_abcdef123456"
    assert validate_secret("A1B2C3", field="f") == "A1B2C3"  # EasyPost's documented example
    for bad in ("", "short", "two words here", "line\nbreak-inside", "x" * 600, "nul\x00byte!"):
        with pytest.raises(InvalidInput) as err:
            validate_secret(bad, field="shopify_webhook_secret")
        assert err.value.field == "shopify_webhook_secret"


def test_only_the_last_four_characters_are_shown() -> None:
    assert last4("shpss_0123456789abcdef") == "cdef"
    assert SecretKind.SHOPIFY_WEBHOOK.field == "shopify_webhook_secret"


def test_sealed_secrets_open_and_never_contain_the_secret() -> None:
    ring = Keyring([new_key()])
    sealed = ring.seal("sécret-with-ünïcode")
    assert "sécret" not in sealed and sealed.startswith("fernet:")
    assert ring.open(sealed) == "sécret-with-ünïcode"
    assert ring.seal("same") != ring.seal("same")  # random IV: equal secrets look different


def test_key_rotation_opens_old_seals_and_reseals_with_the_first_key() -> None:
    old, new = new_key(), new_key()
    before = Keyring([old]).seal("merchant-secret")
    rotated = Keyring([new, old])
    assert rotated.open(before) == "merchant-secret"
    assert rotated.needs_reseal(before)
    resealed = rotated.reseal(before)
    assert not rotated.needs_reseal(resealed)
    assert Keyring([new]).open(resealed) == "merchant-secret"  # the old key can now go
    with pytest.raises(SecretsUnavailable):
        Keyring([new]).open(before)


def test_rows_the_migration_moved_in_the_clear_open_and_need_sealing() -> None:
    ring = Keyring([new_key()])
    assert ring.open(PLAIN_PREFIX + "legacy-secret") == "legacy-secret"
    assert ring.needs_reseal(PLAIN_PREFIX + "legacy-secret")


def test_a_malformed_key_is_refused_with_the_setting_named() -> None:
    with pytest.raises(ValueError, match="POSTPURCHASE_ENCRYPTION_KEYS"):
        Keyring(["not-a-fernet-key"])


def test_development_generates_one_key_into_the_data_dir(tmp_path) -> None:
    first = load_keyring("", tmp_path, allow_generate=True)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    second = load_keyring("", tmp_path, allow_generate=True)  # another process, same dir
    assert second.open(first.seal("shared")) == "shared"
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]


def test_production_refuses_to_start_without_keys(tmp_path) -> None:
    with pytest.raises(ValueError, match="required in production"):
        load_keyring("", tmp_path, allow_generate=False)
    assert not (tmp_path / KEY_FILE).exists()
