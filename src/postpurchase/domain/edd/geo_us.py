"""Where a US ZIP code is, roughly: its state, and that state's capital.

The same small public facts :mod:`.geo` holds for Brazil, for the market most merchants of
ours ship in: the first three digits of a ZIP code name the USPS sectional centre that
sorts it, and every three-digit prefix belongs to one state (USPS' prefix assignments; the
handful of prefixes with a stray ZIP across a state line go to their state of most ZIPs).
Military mail (AA, AE, AP) has a state code but no place, so no coordinates.

Why the capital, not a finer point: it is enough to tell a lane's zone apart (a parcel
from Ohio to California is far, to Indiana near) without shipping a ZIP gazetteer, and
``Precision.REGION`` says so to every caller; an adapter may still supply finer
``PostalCentroids``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping

# Three-digit ZIP prefixes per state (inclusive); gaps are prefixes USPS has not assigned.
US_ZIP3_RANGES: tuple[tuple[int, int, str], ...] = (
    (5, 5, "NY"), (6, 7, "PR"), (8, 8, "VI"), (9, 9, "PR"), (10, 27, "MA"), (28, 29, "RI"),
    (30, 38, "NH"), (39, 49, "ME"), (50, 54, "VT"), (55, 55, "MA"), (56, 59, "VT"),
    (60, 69, "CT"), (70, 89, "NJ"), (90, 98, "AE"), (99, 99, "NJ"), (100, 149, "NY"),
    (150, 196, "PA"), (197, 199, "DE"), (200, 200, "DC"), (201, 201, "VA"), (202, 205, "DC"),
    (206, 212, "MD"), (214, 219, "MD"), (220, 246, "VA"), (247, 268, "WV"), (270, 289, "NC"),
    (290, 299, "SC"), (300, 319, "GA"), (320, 339, "FL"), (340, 340, "AA"), (341, 342, "FL"),
    (344, 344, "FL"), (346, 347, "FL"), (349, 349, "FL"), (350, 352, "AL"), (354, 369, "AL"),
    (370, 385, "TN"), (386, 397, "MS"), (398, 399, "GA"), (400, 418, "KY"), (420, 427, "KY"),
    (430, 459, "OH"), (460, 479, "IN"), (480, 499, "MI"), (500, 516, "IA"), (520, 528, "IA"),
    (530, 532, "WI"), (534, 535, "WI"), (537, 549, "WI"), (550, 551, "MN"), (553, 567, "MN"),
    (569, 569, "DC"), (570, 577, "SD"), (580, 588, "ND"), (590, 599, "MT"), (600, 620, "IL"),
    (622, 629, "IL"), (630, 631, "MO"), (633, 641, "MO"), (644, 658, "MO"), (660, 662, "KS"),
    (664, 679, "KS"), (680, 681, "NE"), (683, 693, "NE"), (700, 701, "LA"), (703, 708, "LA"),
    (710, 714, "LA"), (716, 729, "AR"), (730, 731, "OK"), (733, 733, "TX"), (734, 741, "OK"),
    (743, 749, "OK"), (750, 770, "TX"), (772, 799, "TX"), (800, 816, "CO"), (820, 831, "WY"),
    (832, 838, "ID"), (840, 847, "UT"), (850, 853, "AZ"), (855, 857, "AZ"), (859, 860, "AZ"),
    (863, 865, "AZ"), (870, 871, "NM"), (873, 884, "NM"), (885, 885, "TX"), (888, 888, "DC"),
    (889, 891, "NV"), (893, 895, "NV"), (897, 898, "NV"), (900, 908, "CA"), (910, 928, "CA"),
    (930, 961, "CA"), (962, 966, "AP"), (967, 968, "HI"), (969, 969, "GU"), (970, 979, "OR"),
    (980, 986, "WA"), (988, 994, "WA"), (995, 999, "AK"),
)  # fmt: skip
_STARTS = tuple(low for low, _, _ in US_ZIP3_RANGES)

# (lat, lon) of each state's capital (and Washington, San Juan, Hagåtña), rounded to 0.01°.
US_STATE_CAPITALS: Mapping[str, tuple[float, float]] = {
    "AL": (32.38, -86.30), "AK": (58.30, -134.42), "AZ": (33.45, -112.07),
    "AR": (34.75, -92.29), "CA": (38.58, -121.49), "CO": (39.74, -104.99),
    "CT": (41.76, -72.68), "DE": (39.16, -75.52), "DC": (38.90, -77.04),
    "FL": (30.44, -84.28), "GA": (33.75, -84.39), "HI": (21.31, -157.86),
    "ID": (43.62, -116.20), "IL": (39.80, -89.64), "IN": (39.77, -86.16),
    "IA": (41.59, -93.62), "KS": (39.05, -95.68), "KY": (38.20, -84.87),
    "LA": (30.45, -91.19), "ME": (44.31, -69.78), "MD": (38.98, -76.49),
    "MA": (42.36, -71.06), "MI": (42.73, -84.56), "MN": (44.95, -93.09),
    "MS": (32.30, -90.18), "MO": (38.58, -92.17), "MT": (46.59, -112.04),
    "NE": (40.81, -96.70), "NV": (39.16, -119.77), "NH": (43.21, -71.54),
    "NJ": (40.22, -74.76), "NM": (35.69, -105.94), "NY": (42.65, -73.76),
    "NC": (35.78, -78.64), "ND": (46.81, -100.78), "OH": (39.96, -83.00),
    "OK": (35.47, -97.52), "OR": (44.94, -123.04), "PA": (40.27, -76.88),
    "RI": (41.82, -71.41), "SC": (34.00, -81.03), "SD": (44.37, -100.35),
    "TN": (36.16, -86.78), "TX": (30.27, -97.74), "UT": (40.76, -111.89),
    "VT": (44.26, -72.58), "VA": (37.54, -77.44), "WA": (47.04, -122.90),
    "WV": (38.35, -81.63), "WI": (43.07, -89.40), "WY": (41.14, -104.82),
    "PR": (18.47, -66.11), "VI": (18.34, -64.93), "GU": (13.48, 144.75),
}  # fmt: skip


def us_state_of(zip_code: str | None) -> str | None:
    """The state (or territory, or military code) of a normalised ZIP code (5 or 9 digits);
    None for a prefix USPS has not assigned."""
    if zip_code is None or len(zip_code) not in (5, 9) or not zip_code.isdigit():
        return None
    prefix = int(zip_code[:3])
    at = bisect_right(_STARTS, prefix) - 1
    if at < 0:
        return None
    low, high, state = US_ZIP3_RANGES[at]
    return state if low <= prefix <= high else None
