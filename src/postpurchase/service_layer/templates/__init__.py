"""Message templates a merchant edits (issue 14): versions, previews, test sends, splits.

The console and the API call these: :func:`overview`, :func:`history`, :func:`save_version`,
:func:`reset`, :func:`preview`, :func:`set_split` (in ``services``), and
:func:`send_test` (``testing``) for a test send through the configured channels.
"""

from postpurchase.service_layer.templates.services import (
    TemplateSummary,
    history,
    overview,
    preview,
    reset,
    save_version,
    set_split,
)
from postpurchase.service_layer.templates.testing import send_test

__all__ = [
    "TemplateSummary",
    "history",
    "overview",
    "preview",
    "reset",
    "save_version",
    "send_test",
    "set_split",
]
