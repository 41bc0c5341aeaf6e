"""The checkout answer in the shopper's words: dates, the window and the cut-off countdown
("Order within 3 hr, 12 min to get it by Thu 10 Dec"), formatted by Babel (CLDR) in the
shopper's locale and on their clock.

Messages come from the tracking page's catalogue (``web/catalogues``: five languages, a test
checks each has every key); dates, durations and times use the full locale the storefront
sends, so ``en-GB`` reads "Thu 10 Dec" where ``en`` reads "Thu, Dec 10". Everything a
locale formats often is cached: the answer's p99 budget is a few milliseconds.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_interval, format_skeleton
from babel.lists import format_list
from babel.units import format_unit

from postpurchase.domain.checkout.cutoff import Countdown
from postpurchase.domain.errors import InvalidInput
from postpurchase.entrypoints.web.i18n import _clock, normalise_language, translator

MAX_LOCALE = 35


@lru_cache(maxsize=512)
def babel_locale(tag: str) -> str:
    """A BCP 47 tag (``en-GB``, ``pt_BR``, ``de``) as Babel's id; InvalidInput naming
    ``locale`` when CLDR does not know it."""
    cleaned = tag.strip().replace("_", "-")
    if not cleaned or len(cleaned) > MAX_LOCALE:
        raise InvalidInput(f"{tag!r} is not a locale like en-GB", field="locale")
    try:
        return str(Locale.parse(cleaned, sep="-"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidInput(f"{tag!r} is not a locale like en-GB", field="locale") from None


@lru_cache(maxsize=4096)
def short_day(babel_id: str, value: date) -> str:
    """ "Thu 10 Dec" (en-GB), "Thu, Dec 10" (en), "Do., 10. Dez." (de)."""
    return str(format_skeleton("MMMEd", value, locale=babel_id))


@lru_cache(maxsize=4096)
def window(babel_id: str, start: date, end: date) -> str:
    if start == end:
        return short_day(babel_id, start)
    return str(format_interval(start, end, "MMMEd", locale=babel_id))


@lru_cache(maxsize=16384)
def duration(babel_id: str, days: int, hours: int, minutes: int) -> str:
    """ "3 hr, 12 min", "1 day, 2 hr", "45 min": CLDR's short units joined as the locale
    joins unit lists; minutes are shown under a day, and always when nothing else is."""
    parts = []
    for amount, unit in ((days, "duration-day"), (hours, "duration-hour")):
        if amount:
            parts.append(str(format_unit(amount, unit, length="short", locale=babel_id)))
    if (not days or not parts) and (minutes or not parts):
        parts.append(str(format_unit(minutes, "duration-minute", length="short", locale=babel_id)))
    if len(parts) == 1:
        return parts[0]
    try:
        return str(format_list(parts, style="unit-short", locale=babel_id))
    except (KeyError, ValueError):  # a locale without unit list patterns
        return " ".join(parts)


def countdown_text(babel_id: str, left: Countdown) -> str:
    days, hours = divmod(left.hours, 24)
    return duration(babel_id, days, hours, left.minutes)


class Texts:
    """The human-readable fields of one answer."""

    def __init__(self, locale_tag: str, babel_id: str) -> None:
        self.babel_id = babel_id
        self.t = translator(normalise_language(locale_tag) or "en")

    def fields(
        self,
        *,
        promise: date,
        earliest: date,
        latest: date,
        p50: date,
        cutoff_at: datetime,
        left: Countdown,
        tz: ZoneInfo,
    ) -> dict[str, str]:
        day = short_day(self.babel_id, promise)
        local = cutoff_at.astimezone(tz)
        return {
            "countdown": self.t(
                "checkout.countdown", duration=countdown_text(self.babel_id, left), day=day
            ),
            "promise": self.t("checkout.by", day=day),
            "window": self.t("checkout.window", window=window(self.babel_id, earliest, latest)),
            "promise_day": day,
            "p50_day": short_day(self.babel_id, p50),
            "time_left": countdown_text(self.babel_id, left),
            "cutoff_time": _clock(self.babel_id, local.hour, local.minute),
            "cutoff_day": short_day(self.babel_id, local.date()),
        }
