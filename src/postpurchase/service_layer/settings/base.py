"""The base of every settings object (its own module so each section's module can use it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """Every settings object: unknown keys refused, surrounding blanks trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
