"""Rights the law gives the shopper, applied before any rule of the merchant's.

The EU's Consumer Rights Directive (2011/83/EU, art. 9-16), also in force in the EEA: a
consumer who bought at a distance may withdraw within 14 days from the day they (or someone
they named) took physical possession of the goods, without giving a reason. The trader must
refund within 14 days of being told, may hold the refund until the goods are back, may make
the consumer pay the direct cost of returning them if told so before the purchase, and may
not charge any other fee (so no restocking fee). Goods made to the consumer's specification,
perishables and sealed hygiene goods once unsealed are exempt (art. 16): the merchant lists
those SKUs in ``ReturnPolicy.statutory_exempt_skus``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

EU_WITHDRAWAL_DAYS = 14

# EU member states plus the EEA countries (Iceland, Liechtenstein, Norway), ISO 3166-1 alpha-2.
EU_EEA: frozenset[str] = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)


def last_day(delivered_at: datetime, days: int, zone: tzinfo) -> date:
    """The last day of a period of ``days`` counted from delivery, on the shopper's calendar.

    Delivery day is day 0: delivered on the 1st, a 14-day period runs through the 15th, in
    the shopper's own time zone (a parcel left at 23:30 in Berlin was delivered that day
    there, whatever the UTC date says).
    """
    return delivered_at.astimezone(zone).date() + timedelta(days=days)


def within(delivered_at: datetime, days: int, now: datetime, zone: tzinfo) -> bool:
    return now.astimezone(zone).date() <= last_day(delivered_at, days, zone)


def eu_withdrawal_applies(country: str | None) -> bool:
    return (country or "").upper() in EU_EEA
