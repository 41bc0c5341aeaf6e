"""A gift return's code, opened only when its message is sent (``return_gift_credit``): the
code is kept sealed with the gift credit (adapters.db.returns), never in a message row."""

from __future__ import annotations

from sqlalchemy import Engine

from postpurchase.adapters.db.returns import sealed_gift_code
from postpurchase.adapters.secrets import SecretsUnavailable
from postpurchase.service_layer.ports import SecretBox


class SealedGiftCodes:
    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self.engine = engine
        self.box = box

    def __call__(self, merchant_id: str, return_id: str) -> str | None:
        with self.engine.connect() as conn:
            sealed = sealed_gift_code(conn, merchant_id, return_id)
        if sealed is None:
            return None
        try:
            return self.box.open(sealed)
        except SecretsUnavailable:
            return None
