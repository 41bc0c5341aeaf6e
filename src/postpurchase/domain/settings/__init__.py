"""A merchant's settings, the pure part: colours and their contrast, the font allow-list,
host names, and the stored layout (with the upgrade from the layout before issue 14).

The validated schema itself is Pydantic and lives in ``service_layer.settings`` (the domain
imports no framework); everything it checks that is a rule rather than a type is here.
"""

from postpurchase.domain.settings.layout import (
    drop_path,
    get_path,
    merge_patch,
    upgrade_layout,
)
from postpurchase.domain.settings.look import (
    DEFAULT_ACCENT,
    DEFAULT_BACKGROUND,
    DEFAULT_PRIMARY,
    FONTS,
    MIN_TEXT_CONTRAST,
    MIN_UI_CONTRAST,
    SYSTEM_FONT,
    Font,
    contrast,
    font_stack,
    is_host,
    normalise_colour,
    normalise_host,
    on_colour,
    readable_on,
)

__all__ = [
    "DEFAULT_ACCENT",
    "DEFAULT_BACKGROUND",
    "DEFAULT_PRIMARY",
    "FONTS",
    "MIN_TEXT_CONTRAST",
    "MIN_UI_CONTRAST",
    "SYSTEM_FONT",
    "Font",
    "contrast",
    "drop_path",
    "font_stack",
    "get_path",
    "is_host",
    "merge_patch",
    "normalise_colour",
    "normalise_host",
    "on_colour",
    "readable_on",
    "upgrade_layout",
]
