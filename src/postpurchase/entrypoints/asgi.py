"""ASGI entrypoint for uvicorn/gunicorn: `postpurchase.entrypoints.asgi:app`.

Each process builds its own platform (engine pool, queue publisher) from the environment.
"""

from __future__ import annotations

from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.worker import build

app = create_app(build().platform)
