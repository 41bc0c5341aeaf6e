"""Message template versions and splits in the database (issue 14)."""

from postpurchase.adapters.db.templates.repository import SqlTemplateRepository

__all__ = ["SqlTemplateRepository"]
