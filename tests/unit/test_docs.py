"""Docs tested against code: every setting is in the README's configuration table."""

from __future__ import annotations

from pathlib import Path

from postpurchase.adapters.notifications.settings import NotifySettings
from postpurchase.config import Settings

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    for name in [*Settings.model_fields, *NotifySettings.model_fields]:
        assert f"`POSTPURCHASE_{name.upper()}`" in README, name


def test_readme_opens_with_the_two_commands() -> None:
    head = "\n".join(README.splitlines()[:10])
    assert "make demo" in head and "make test" in head
