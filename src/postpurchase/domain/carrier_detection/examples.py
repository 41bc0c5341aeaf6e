"""Valid example numbers per carrier and format, drawn from the format table's generators.

Why this exists: the simulated carrier network, the test factories and the benchmarks need
tracking numbers that detection attributes back to the carrier they were drawn for; drawing
them from the same table keeps the two from drifting apart.
"""

from __future__ import annotations

import random

from postpurchase.domain.carrier_detection.formats import FORMAT_INDEX, FORMATS
from postpurchase.domain.carrier_detection.posts import COUNTRIES_OF
from postpurchase.domain.carrier_detection.ranking import detect

__all__ = ["example_number", "formats_for"]


def formats_for(carrier: str) -> list[str]:
    """Format names `detect` can report for `carrier`, in table order."""
    names = [fmt.name for fmt in FORMATS if fmt.carrier == carrier]
    if carrier in COUNTRIES_OF:
        names.append("upu_s10")
    return names


def example_number(carrier: str, rng: random.Random, fmt: str | None = None) -> str:
    """A valid tracking number for `carrier` (correct check digit), drawn from `rng`.

    Used by the simulated carrier network and by tests, which need numbers that `detect`
    attributes back to the same carrier. So a number that another carrier's format would also
    claim with a higher rank is drawn again; only formats that can never win on their own
    (the IMpb readings of FedEx SmartPost, DHL eCommerce and UPS Mail Innovations) return a
    valid but shadowed number when asked for by name.
    Deterministic for a given `rng` state. Raises ValueError for an unknown carrier or format.
    """
    names = formats_for(carrier)
    if not names:
        raise ValueError(f"no number format known for carrier {carrier!r}")
    if fmt is not None and fmt not in names:
        raise ValueError(f"carrier {carrier!r} has no format {fmt!r}; known: {names}")
    pool = [FORMATS[FORMAT_INDEX[name]] for name in names]
    if fmt is not None:
        pool = [f for f in pool if f.name == fmt]
    elif any(f.weight for f in pool):
        pool = [f for f in pool if f.weight]
    weights = [max(f.weight, 1) for f in pool]
    number = ""
    # A shadowed format never wins, so a requested format gets few redraws; the default pool
    # only holds formats that win often, so 200 draws fail with negligible probability.
    for _ in range(200 if fmt is None else 20):
        chosen = rng.choices(pool, weights=weights)[0]
        number = chosen.generate(rng, carrier)
        best = detect(number)
        if best.carrier == carrier and best.valid:
            return number
    if fmt is not None:
        return number
    raise RuntimeError(f"could not draw an unambiguous number for {carrier!r}")  # pragma: no cover
