"""Console passwords hashed with argon2id (argon2-cffi, MIT).

argon2-cffi's default parameters are RFC 9106's second recommendation (t=3, 64 MiB, p=4):
about 50-100 ms of one core per hash here, slow for a guesser and fine for a log-in. A hash
embeds its parameters, so raising them later re-hashes each password at its next log-in
(``needs_rehash``).
"""

from __future__ import annotations

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2Hasher:
    def __init__(self, *, time_cost: int | None = None, memory_kib: int | None = None) -> None:
        default = _Argon2()
        self._ph = _Argon2(
            time_cost=time_cost if time_cost is not None else default.time_cost,
            memory_cost=memory_kib if memory_kib is not None else default.memory_cost,
        )

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        if not hashed:
            return False
        try:
            return bool(self._ph.verify(hashed, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        try:
            return bool(self._ph.check_needs_rehash(hashed))
        except InvalidHashError:
            return True
