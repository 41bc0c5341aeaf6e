"""The console's adapters that are not the database: the password hasher."""

from __future__ import annotations

from postpurchase.adapters.console.passwords import Argon2Hasher

__all__ = ["Argon2Hasher"]
