"""Sealing secrets at rest: the one place that encrypts integration secrets and tokens.

Why: a database dump or a backup must not hand out the keys to a merchant's Shopify,
EasyPost or carrier accounts. Every secret (webhook secrets now; carrier credentials and
OAuth tokens later) goes through :class:`Keyring` before it is written.

How: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with the keys of the setting
``POSTPURCHASE_ENCRYPTION_KEYS`` (comma-separated; the first seals, all of them open), as
``MultiFernet`` does. Rotating the key is: put a new key first, keep the old ones after it,
run ``postpurchase secrets reencrypt`` (which re-seals every row with the first key), then
drop the old key. In development, when the setting is empty, a key is generated once into
``<data_dir>/encryption.key`` (mode 0600); production refuses to start without the setting.

A stored value is ``fernet:<token>``. Rows written before secrets were sealed come from the
migration as ``plain:<secret>``; they still open, and ``reencrypt`` seals them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

FERNET_PREFIX = "fernet:"
PLAIN_PREFIX = "plain:"  # only ever written by the migration that moved old columns here
KEY_FILE = "encryption.key"


class SecretsUnavailable(RuntimeError):
    """No key can open a stored secret: the keys were changed without re-encrypting."""


class Keyring:
    """Seals and opens secrets with the configured keys (first key seals)."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        try:
            self._fernets = [Fernet(k.encode("ascii")) for k in keys]
        except (ValueError, UnicodeEncodeError) as bad:
            raise ValueError(
                "POSTPURCHASE_ENCRYPTION_KEYS: each key is 32 url-safe base64-encoded bytes "
                "(make one with `postpurchase secrets new-key`)"
            ) from bad
        self._multi = MultiFernet(self._fernets)
        self._raw = [base64.urlsafe_b64decode(k.encode("ascii")) for k in keys]

    def seal(self, secret: str) -> str:
        return FERNET_PREFIX + self._multi.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, stored: str) -> str:
        if stored.startswith(PLAIN_PREFIX):
            return stored[len(PLAIN_PREFIX) :]
        if not stored.startswith(FERNET_PREFIX):
            raise SecretsUnavailable("stored secret has an unknown format")
        try:
            return self._multi.decrypt(stored[len(FERNET_PREFIX) :].encode("ascii")).decode()
        except InvalidToken:
            raise SecretsUnavailable(
                "no configured encryption key opens a stored secret; put the key it was "
                "sealed with back into POSTPURCHASE_ENCRYPTION_KEYS"
            ) from None

    def needs_reseal(self, stored: str) -> bool:
        """True when ``stored`` is plaintext or sealed with a key other than the first."""
        if stored.startswith(PLAIN_PREFIX):
            return True
        token = stored[len(FERNET_PREFIX) :].encode("ascii")
        try:
            self._fernets[0].decrypt(token)
        except InvalidToken:
            return True
        return False

    def reseal(self, stored: str) -> str:
        return self.seal(self.open(stored))

    def derive(self, purpose: str) -> list[bytes]:
        """A signing key per configured key for ``purpose`` (first: the current one), so
        signed links need no secret of their own and survive a key rotation while the old
        key is still configured."""
        return [hmac.new(raw, purpose.encode(), hashlib.sha256).digest() for raw in self._raw]


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def parse_keys(raw: str) -> list[str]:
    return [k.strip() for k in raw.split(",") if k.strip()]


def load_keyring(configured: str, data_dir: Path, *, allow_generate: bool) -> Keyring:
    """The keyring from the setting; else (development only) from the data directory's key
    file, created on first use so every process sharing the data directory agrees."""
    keys = parse_keys(configured)
    if keys:
        return Keyring(keys)
    if not allow_generate:
        raise ValueError(
            "POSTPURCHASE_ENCRYPTION_KEYS is required in production "
            "(make one with `postpurchase secrets new-key`)"
        )
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: link fails if another process got there
        # first, so every process sharing the data directory ends up with the same key.
        tmp = data_dir / f".{KEY_FILE}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(new_key() + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return Keyring(parse_keys(path.read_text().replace("\n", ",")))
