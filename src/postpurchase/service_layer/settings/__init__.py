"""Merchant settings (issue 14): one schema, read leniently, written strictly and audited.

The functions the API, the CLI and the console call are :func:`get_settings`,
:func:`update_settings` and :func:`read_settings` (in ``services``).
"""

from postpurchase.service_layer.settings.schema import LOCALES, MAX_FAQ, MerchantSettings
from postpurchase.service_layer.settings.services import (
    SettingsInvalid,
    get_settings,
    read_settings,
    update_settings,
    upload_logo,
    validate_document,
)

__all__ = [
    "LOCALES",
    "MAX_FAQ",
    "MerchantSettings",
    "SettingsInvalid",
    "get_settings",
    "read_settings",
    "update_settings",
    "upload_logo",
    "validate_document",
]
