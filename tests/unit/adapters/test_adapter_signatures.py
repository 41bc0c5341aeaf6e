import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from postpurchase.adapters.signatures import (
    sign_easypost,
    sign_postpurchase,
    verify_aftership,
    verify_easypost,
    verify_postpurchase,
    verify_shopify,
)

BODY = b'{"id":820982911946154508,"email":"jon@example.com"}'
SECRET = "whsec_8f2c1d"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.mark.parametrize("verify", [verify_shopify, verify_aftership])
class TestBase64Hmac:
    def test_good_signature(self, verify):
        assert verify(BODY, b64_hmac(SECRET, BODY), SECRET)

    def test_surrounding_whitespace_in_header_is_tolerated(self, verify):
        assert verify(BODY, f"  {b64_hmac(SECRET, BODY)}\n", SECRET)

    def test_wrong_secret(self, verify):
        assert not verify(BODY, b64_hmac("another", BODY), SECRET)

    def test_tampered_body(self, verify):
        assert not verify(BODY + b" ", b64_hmac(SECRET, BODY), SECRET)

    @pytest.mark.parametrize("header", [None, "", "not base64!!", "é", "A" * 5000])
    def test_missing_or_malformed_header(self, verify, header):
        assert not verify(BODY, header, SECRET)

    def test_empty_secret_never_verifies(self, verify):
        assert not verify(BODY, b64_hmac("", BODY), "")


class TestEasyPost:
    def test_good_signature(self):
        assert verify_easypost(BODY, sign_easypost(BODY, SECRET), SECRET)

    def test_secret_is_nfkd_normalised(self):
        composed = "s\u00e9cret"  # é as one code point
        decomposed = "se\u0301cret"  # e + combining acute
        key = decomposed.encode()
        header = "hmac-sha256-hex=" + hmac.new(key, BODY, hashlib.sha256).hexdigest()
        assert verify_easypost(BODY, header, composed)

    def test_known_vector(self):
        header = "hmac-sha256-hex=" + hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()
        assert verify_easypost(b"{}", header, "k")
        upper_hex = "hmac-sha256-hex=" + header.removeprefix("hmac-sha256-hex=").upper()
        assert verify_easypost(b"{}", upper_hex, "k")

    def test_wrong_secret_and_tampered_body(self):
        header = sign_easypost(BODY, SECRET)
        assert not verify_easypost(BODY, header, "other")
        assert not verify_easypost(BODY.replace(b"jon", b"jan"), header, SECRET)

    @pytest.mark.parametrize(
        "header", [None, "", "deadbeef", "sha256=abc", "hmac-sha256-hex=zz", "hmac-sha256-hex=é"]
    )
    def test_missing_or_malformed_header(self, header):
        assert not verify_easypost(BODY, header, SECRET)


class TestPostpurchase:
    def test_round_trip(self):
        header = sign_postpurchase(BODY, SECRET, NOW)
        assert header.startswith(f"t={int(NOW.timestamp())},v1=")
        assert verify_postpurchase(BODY, header, SECRET, NOW)

    def test_format_is_hmac_of_timestamp_dot_body(self):
        t = 1_795_000_000
        expected = hmac.new(SECRET.encode(), f"{t}.".encode() + BODY, hashlib.sha256).hexdigest()
        assert sign_postpurchase(BODY, SECRET, t) == f"t={t},v1={expected}"

    def test_wrong_secret(self):
        assert not verify_postpurchase(BODY, sign_postpurchase(BODY, "x", NOW), SECRET, NOW)

    def test_tampered_body(self):
        header = sign_postpurchase(BODY, SECRET, NOW)
        assert not verify_postpurchase(BODY + b"\n", header, SECRET, NOW)

    def test_tampered_timestamp(self):
        header = sign_postpurchase(BODY, SECRET, NOW)
        forged = header.replace(f"t={int(NOW.timestamp())}", f"t={int(NOW.timestamp()) + 1}")
        assert not verify_postpurchase(BODY, forged, SECRET, NOW)

    def test_stale_timestamp_is_refused(self):
        header = sign_postpurchase(BODY, SECRET, NOW - timedelta(seconds=301))
        assert not verify_postpurchase(BODY, header, SECRET, NOW)
        assert verify_postpurchase(BODY, header, SECRET, NOW, tolerance=timedelta(minutes=10))

    def test_edge_of_tolerance_is_accepted(self):
        header = sign_postpurchase(BODY, SECRET, NOW - timedelta(seconds=300))
        assert verify_postpurchase(BODY, header, SECRET, NOW)

    def test_future_timestamp_is_refused(self):
        header = sign_postpurchase(BODY, SECRET, NOW + timedelta(minutes=6))
        assert not verify_postpurchase(BODY, header, SECRET, NOW)

    def test_rotated_secrets_any_v1_matches(self):
        old = sign_postpurchase(BODY, "old-secret", NOW).split(",")[1]
        new = sign_postpurchase(BODY, SECRET, NOW)
        assert verify_postpurchase(BODY, f"{new},{old}", SECRET, NOW)
        assert verify_postpurchase(BODY, f"{new},{old}", "old-secret", NOW)

    @pytest.mark.parametrize(
        "header",
        [
            None,
            "",
            "garbage",
            "v1=abc",
            "t=123",
            "t=abc,v1=00",
            "t=1,t=2,v1=00",
            "t=-5,v1=00",
            "t=1795000000,v1=é",
        ],
    )
    def test_missing_or_malformed_header(self, header):
        assert not verify_postpurchase(BODY, header, SECRET, NOW)

    def test_empty_secret(self):
        with pytest.raises(ValueError):
            sign_postpurchase(BODY, "", NOW)
        assert not verify_postpurchase(BODY, "t=1,v1=00", "", NOW)

    def test_naive_timestamp_refused_when_signing(self):
        with pytest.raises(ValueError):
            sign_postpurchase(BODY, SECRET, datetime(2026, 1, 1))
