"""The simulated network's hubs: where they are, which postal codes each serves, the gateways
international traffic passes and the carriers' overnight air hubs -- tables, and the
:class:`Hub` they are made of.

Split out of ``network`` so the data reads apart from the lookups and routing built on it;
``network`` re-exports every public name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

# Distance assumed to or from a country we have no coordinates for.
UNKNOWN_DISTANCE_KM = 8000.0


@dataclass(frozen=True, slots=True)
class Hub:
    code: str
    city: str | None
    region: str | None
    postal_code: str | None
    country: str
    lat: float | None
    lon: float | None
    tz_name: str

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.tz_name)

    def location(self) -> dict[str, str | None]:
        return {
            "city": self.city,
            "region": self.region,
            "postal_code": self.postal_code,
            "country": self.country,
        }


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _words(text: str) -> list[str]:
    return text.split()


def _h(
    code: str, city: str, region: str, postal: str, country: str, lat: float, lon: float, tz: str
) -> Hub:
    return Hub(code, city, region, postal, country, lat, lon, tz)


_NY, _CHI, _DEN, _PHX, _LA = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
)

US_HUBS: dict[str, Hub] = {
    h.code: h
    for h in (
        _h("BOS", "Boston", "MA", "02118", "US", 42.34, -71.07, _NY),
        _h("NYC", "Secaucus", "NJ", "07094", "US", 40.79, -74.06, _NY),
        _h("ALB", "Albany", "NY", "12205", "US", 42.72, -73.81, _NY),
        _h("BUF", "Buffalo", "NY", "14225", "US", 42.93, -78.73, _NY),
        _h("PIT", "Pittsburgh", "PA", "15205", "US", 40.44, -80.07, _NY),
        _h("PHL", "Philadelphia", "PA", "19153", "US", 39.89, -75.23, _NY),
        _h("BWI", "Baltimore", "MD", "21240", "US", 39.18, -76.67, _NY),
        _h("RIC", "Richmond", "VA", "23230", "US", 37.58, -77.49, _NY),
        _h("CLT", "Charlotte", "NC", "28208", "US", 35.22, -80.93, _NY),
        _h("ATL", "Atlanta", "GA", "30336", "US", 33.74, -84.56, _NY),
        _h("JAX", "Jacksonville", "FL", "32218", "US", 30.45, -81.67, _NY),
        _h("MIA", "Miami", "FL", "33166", "US", 25.82, -80.30, _NY),
        _h("BHM", "Birmingham", "AL", "35211", "US", 33.46, -86.87, _CHI),
        _h("BNA", "Nashville", "TN", "37207", "US", 36.22, -86.77, _CHI),
        _h("MEM", "Memphis", "TN", "38118", "US", 35.05, -89.93, _CHI),
        _h("SDF", "Louisville", "KY", "40209", "US", 38.19, -85.74, "America/Kentucky/Louisville"),
        _h("CVG", "Hebron", "KY", "41048", "US", 39.06, -84.67, _NY),
        _h("CMH", "Columbus", "OH", "43207", "US", 39.89, -82.97, _NY),
        _h(
            "IND",
            "Indianapolis",
            "IN",
            "46241",
            "US",
            39.72,
            -86.26,
            "America/Indiana/Indianapolis",
        ),
        _h("DTW", "Romulus", "MI", "48174", "US", 42.22, -83.35, "America/Detroit"),
        _h("CHI", "Chicago", "IL", "60638", "US", 41.78, -87.77, _CHI),
        _h("MSP", "Minneapolis", "MN", "55111", "US", 44.88, -93.21, _CHI),
        _h("STL", "St. Louis", "MO", "63134", "US", 38.74, -90.35, _CHI),
        _h("MKC", "Kansas City", "MO", "64161", "US", 39.16, -94.44, _CHI),
        _h("OMA", "Omaha", "NE", "68110", "US", 41.30, -95.93, _CHI),
        _h("MSY", "New Orleans", "LA", "70123", "US", 29.96, -90.18, _CHI),
        _h("OKC", "Oklahoma City", "OK", "73179", "US", 35.40, -97.60, _CHI),
        _h("DFW", "Dallas", "TX", "75261", "US", 32.90, -97.04, _CHI),
        _h("IAH", "Houston", "TX", "77032", "US", 29.96, -95.34, _CHI),
        _h("SAT", "San Antonio", "TX", "78219", "US", 29.45, -98.44, _CHI),
        _h("DEN", "Denver", "CO", "80239", "US", 39.79, -104.83, _DEN),
        _h("ABQ", "Albuquerque", "NM", "87106", "US", 35.06, -106.62, _DEN),
        _h("SLC", "Salt Lake City", "UT", "84104", "US", 40.75, -111.96, _DEN),
        _h("PHX", "Phoenix", "AZ", "85043", "US", 33.43, -112.20, _PHX),
        _h("LAS", "Las Vegas", "NV", "89118", "US", 36.08, -115.21, _LA),
        _h("LAX", "Los Angeles", "CA", "90058", "US", 34.00, -118.22, _LA),
        _h("OAK", "Oakland", "CA", "94621", "US", 37.74, -122.20, _LA),
        _h("PDX", "Portland", "OR", "97218", "US", 45.58, -122.60, _LA),
        _h("SEA", "Seattle", "WA", "98188", "US", 47.45, -122.28, _LA),
        _h("ANC", "Anchorage", "AK", "99502", "US", 61.17, -149.98, "America/Anchorage"),
        _h("HNL", "Honolulu", "HI", "96819", "US", 21.33, -157.92, "Pacific/Honolulu"),
    )
}

# (first ZIP3, last ZIP3, hub): inclusive ranges, checked in order.
_US_ZIP3: tuple[tuple[int, int, str], ...] = (
    (5, 5, "NYC"),
    (6, 9, "MIA"),  # Puerto Rico, Virgin Islands
    (10, 59, "BOS"),
    (60, 69, "NYC"),
    (70, 89, "NYC"),
    (90, 99, "NYC"),  # military mail, Europe
    (100, 119, "NYC"),
    (120, 139, "ALB"),
    (140, 149, "BUF"),
    (150, 168, "PIT"),
    (169, 199, "PHL"),
    (200, 219, "BWI"),
    (220, 246, "RIC"),
    (247, 268, "PIT"),  # West Virginia
    (270, 299, "CLT"),
    (300, 319, "ATL"),
    (320, 329, "JAX"),
    (330, 349, "MIA"),
    (350, 369, "BHM"),
    (370, 379, "BNA"),
    (380, 397, "MEM"),
    (398, 399, "ATL"),
    (400, 409, "SDF"),
    (410, 418, "CVG"),
    (420, 427, "SDF"),
    (430, 458, "CMH"),
    (459, 459, "CVG"),
    (460, 479, "IND"),
    (480, 499, "DTW"),
    (500, 528, "OMA"),
    (530, 549, "CHI"),
    (550, 567, "MSP"),
    (570, 588, "MSP"),
    (589, 599, "SLC"),  # Montana
    (600, 629, "CHI"),
    (630, 639, "STL"),
    (640, 679, "MKC"),
    (680, 693, "OMA"),
    (700, 715, "MSY"),
    (716, 729, "MEM"),  # Arkansas
    (730, 749, "OKC"),
    (750, 769, "DFW"),
    (770, 779, "IAH"),
    (780, 796, "SAT"),
    (797, 799, "ABQ"),  # El Paso
    (800, 831, "DEN"),
    (832, 847, "SLC"),
    (850, 865, "PHX"),
    (870, 884, "ABQ"),
    (885, 885, "ABQ"),
    (889, 898, "LAS"),
    (900, 935, "LAX"),
    (936, 961, "OAK"),
    (962, 966, "OAK"),  # military mail, Pacific
    (967, 969, "HNL"),
    (970, 979, "PDX"),
    (980, 994, "SEA"),
    (995, 999, "ANC"),
)

_US_STATE_HUB: dict[str, str] = {
    "AL": "BHM", "AK": "ANC", "AZ": "PHX", "AR": "MEM", "CA": "LAX", "CO": "DEN", "CT": "NYC",
    "DE": "PHL", "DC": "BWI", "FL": "MIA", "GA": "ATL", "HI": "HNL", "ID": "SLC", "IL": "CHI",
    "IN": "IND", "IA": "OMA", "KS": "MKC", "KY": "SDF", "LA": "MSY", "ME": "BOS", "MD": "BWI",
    "MA": "BOS", "MI": "DTW", "MN": "MSP", "MS": "MEM", "MO": "STL", "MT": "SLC", "NE": "OMA",
    "NV": "LAS", "NH": "BOS", "NJ": "NYC", "NM": "ABQ", "NY": "NYC", "NC": "CLT", "ND": "MSP",
    "OH": "CMH", "OK": "OKC", "OR": "PDX", "PA": "PHL", "RI": "BOS", "SC": "CLT", "SD": "MSP",
    "TN": "BNA", "TX": "DFW", "UT": "SLC", "VT": "BOS", "VA": "RIC", "WA": "SEA", "WV": "PIT",
    "WI": "CHI", "WY": "DEN", "PR": "MIA",
}  # fmt: skip

_TOR, _VAN = "America/Toronto", "America/Vancouver"
CA_HUBS: dict[str, Hub] = {
    h.code: h
    for h in (
        _h("YYZ", "Mississauga", "ON", "L5T 2N7", "CA", 43.65, -79.67, _TOR),
        _h("YUL", "Montreal", "QC", "H4S 1Y9", "CA", 45.48, -73.72, _TOR),
        _h("YHZ", "Halifax", "NS", "B3S 1B3", "CA", 44.65, -63.64, "America/Halifax"),
        _h("YWG", "Winnipeg", "MB", "R3H 0N6", "CA", 49.90, -97.22, "America/Winnipeg"),
        _h("YYC", "Calgary", "AB", "T2E 7J2", "CA", 51.10, -114.01, "America/Edmonton"),
        _h("YVR", "Richmond", "BC", "V6X 1A6", "CA", 49.18, -123.13, _VAN),
    )
}
_CA_FSA: dict[str, str] = {
    **dict.fromkeys("ABCE", "YHZ"),
    **dict.fromkeys("GHJ", "YUL"),
    **dict.fromkeys("KLMNP", "YYZ"),
    **dict.fromkeys("RS", "YWG"),
    **dict.fromkeys("TX", "YYC"),
    **dict.fromkeys("VY", "YVR"),
}

_LON = "Europe/London"
GB_HUBS: dict[str, Hub] = {
    h.code: h
    for h in (
        _h("LHR", "London", "ENG", "UB3 5AN", "GB", 51.50, -0.42, _LON),
        _h("BHX", "Birmingham", "ENG", "B46 1AL", "GB", 52.50, -1.73, _LON),
        _h("MAN", "Manchester", "ENG", "M90 5NT", "GB", 53.36, -2.27, _LON),
        _h("BRS", "Bristol", "ENG", "BS32 4SY", "GB", 51.53, -2.58, _LON),
        _h("GLA", "Glasgow", "SCT", "PA3 2TH", "GB", 55.86, -4.41, _LON),
    )
}
_GB_AREA: dict[str, str] = {
    **dict.fromkeys(
        _words("AB DD DG EH FK G HS IV KA KW KY ML PA PH TD ZE BT"), "GLA"
    ),  # Northern Ireland rides through Glasgow too
    **dict.fromkeys(
        _words(
            "M L BL OL SK WA WN PR BB BD LS HX HD S YO HU NE SR DH TS DL CA LA CH CW FY DN HG WF LL"
        ),
        "MAN",
    ),
    **dict.fromkeys(_words("B CV WV WS DY LE NG DE ST TF WR HR NN LN PE"), "BHX"),
    **dict.fromkeys(_words("CF NP SA LD SY BS BA EX PL TQ TR TA GL SN DT SP"), "BRS"),
}

_BER = "Europe/Berlin"
DE_HUBS: dict[str, Hub] = {
    h.code: h
    for h in (
        _h("LEJ", "Leipzig", "SN", "04435", "DE", 51.42, 12.24, _BER),
        _h("BER", "Berlin", "BE", "12529", "DE", 52.37, 13.50, _BER),
        _h("HAM", "Hamburg", "HH", "22335", "DE", 53.63, 10.00, _BER),
        _h("HAJ", "Hannover", "NI", "30855", "DE", 52.46, 9.69, _BER),
        _h("CGN", "Köln", "NW", "51147", "DE", 50.87, 7.14, _BER),
        _h("FRA", "Frankfurt am Main", "HE", "60549", "DE", 50.04, 8.56, _BER),
        _h("STR", "Stuttgart", "BW", "70629", "DE", 48.69, 9.19, _BER),
        _h("MUC", "München", "BY", "85356", "DE", 48.35, 11.78, _BER),
        _h("NUE", "Nürnberg", "BY", "90411", "DE", 49.50, 11.07, _BER),
    )
}
_DE_DIGIT = dict(zip("0123456789", _words("LEJ BER HAM HAJ CGN CGN FRA STR MUC NUE"), strict=True))

_PAR = "Europe/Paris"
FR_HUBS: dict[str, Hub] = {
    h.code: h
    for h in (
        _h("CDG", "Roissy-en-France", "IDF", "95700", "FR", 49.01, 2.55, _PAR),
        _h("LYS", "Lyon", "ARA", "69125", "FR", 45.72, 5.08, _PAR),
        _h("MRS", "Marseille", "PAC", "13700", "FR", 43.44, 5.22, _PAR),
        _h("TLS", "Toulouse", "OCC", "31700", "FR", 43.63, 1.37, _PAR),
    )
}
_FR_DEPT: dict[str, str] = {
    **dict.fromkeys(_words("01 03 07 15 21 25 26 38 39 42 43 63 69 70 71 73 74 90"), "LYS"),
    **dict.fromkeys(_words("04 05 06 13 20 2A 2B 30 34 48 83 84"), "MRS"),
    **dict.fromkeys(
        _words("09 11 12 16 17 19 23 24 31 32 33 40 46 47 64 65 66 79 81 82 86 87"), "TLS"
    ),
}

_SAO = "America/Sao_Paulo"
BR_HUBS: dict[str, Hub] = {
    h.code: h
    for h in (
        _h("GRU", "Cajamar", "SP", "07776-000", "BR", -23.35, -46.88, _SAO),
        _h("GIG", "Rio de Janeiro", "RJ", "21040-000", "BR", -22.87, -43.25, _SAO),
        _h("CNF", "Contagem", "MG", "32210-000", "BR", -19.93, -44.05, _SAO),
        _h("SSA", "Salvador", "BA", "41250-000", "BR", -12.92, -38.43, "America/Bahia"),
        _h("REC", "Recife", "PE", "50770-000", "BR", -8.10, -34.95, "America/Recife"),
        _h("FOR", "Fortaleza", "CE", "60870-000", "BR", -3.78, -38.55, "America/Fortaleza"),
        _h("BSB", "Brasília", "DF", "71200-000", "BR", -15.80, -47.95, _SAO),
        _h("CWB", "Curitiba", "PR", "81450-000", "BR", -25.50, -49.30, _SAO),
        _h("POA", "Porto Alegre", "RS", "90200-000", "BR", -29.99, -51.17, _SAO),
    )
}
_BR_DIGIT = dict(zip("0123456789", _words("GRU GRU GIG CNF SSA REC FOR BSB CWB POA"), strict=True))

AU_HUBS: dict[str, Hub] = {
    h.code: h
    for h in (
        _h("SYD", "Sydney", "NSW", "2020", "AU", -33.93, 151.17, "Australia/Sydney"),
        _h("MEL", "Melbourne", "VIC", "3045", "AU", -37.67, 144.84, "Australia/Melbourne"),
        _h("BNE", "Brisbane", "QLD", "4008", "AU", -27.38, 153.12, "Australia/Brisbane"),
        _h("ADL", "Adelaide", "SA", "5950", "AU", -34.94, 138.53, "Australia/Adelaide"),
        _h("PER", "Perth", "WA", "6105", "AU", -31.94, 115.97, "Australia/Perth"),
    )
}
_AU_DIGIT = dict(zip("0123456789", _words("ADL SYD SYD MEL BNE ADL PER MEL SYD BNE"), strict=True))

# One hub for countries we model at country level only.
SINGLE_HUBS: dict[str, Hub] = {
    h.country: h
    for h in (
        _h("MEX", "Mexico City", "CMX", "15620", "MX", 19.44, -99.07, "America/Mexico_City"),
        _h("AMS", "Amsterdam", "NH", "1118", "NL", 52.31, 4.76, "Europe/Amsterdam"),
        _h("BRU", "Brussels", "BRU", "1930", "BE", 50.90, 4.48, "Europe/Brussels"),
        _h("MAD", "Madrid", "MD", "28042", "ES", 40.47, -3.57, "Europe/Madrid"),
        _h("MXP", "Milano", "MI", "21010", "IT", 45.63, 8.72, "Europe/Rome"),
        _h("DUB", "Dublin", "D", "K67", "IE", 53.43, -6.25, "Europe/Dublin"),
        _h("ZRH", "Zürich", "ZH", "8058", "CH", 47.46, 8.55, "Europe/Zurich"),
        _h("VIE", "Wien", "9", "1300", "AT", 48.11, 16.57, "Europe/Vienna"),
        _h("CPH", "København", "84", "2770", "DK", 55.62, 12.65, "Europe/Copenhagen"),
        _h("ARN", "Stockholm", "AB", "19045", "SE", 59.65, 17.93, "Europe/Stockholm"),
        _h("WAW", "Warszawa", "14", "02-146", "PL", 52.17, 20.97, "Europe/Warsaw"),
        _h("NRT", "Narita", "12", "282-0004", "JP", 35.77, 140.39, "Asia/Tokyo"),
        _h("PVG", "Shanghai", "SH", "201202", "CN", 31.14, 121.81, "Asia/Shanghai"),
        _h("HKG", "Hong Kong", "HK", "999077", "HK", 22.31, 113.92, "Asia/Hong_Kong"),
        _h("ICN", "Incheon", "28", "22382", "KR", 37.46, 126.44, "Asia/Seoul"),
        _h("SIN", "Singapore", "SG", "819834", "SG", 1.36, 103.99, "Asia/Singapore"),
        _h("BOM", "Mumbai", "MH", "400099", "IN", 19.09, 72.87, "Asia/Kolkata"),
        _h("AKL", "Auckland", "AUK", "2022", "NZ", -37.01, 174.79, "Pacific/Auckland"),
        _h(
            "EZE",
            "Buenos Aires",
            "B",
            "1802",
            "AR",
            -34.82,
            -58.54,
            "America/Argentina/Buenos_Aires",
        ),
        _h("SCL", "Santiago", "RM", "9020000", "CL", -33.39, -70.79, "America/Santiago"),
        _h("JNB", "Johannesburg", "GP", "1627", "ZA", -26.14, 28.25, "Africa/Johannesburg"),
        _h("DXB", "Dubai", "DU", "00000", "AE", 25.25, 55.36, "Asia/Dubai"),
    )
}

COUNTRY_HUBS: dict[str, dict[str, Hub]] = {
    "US": US_HUBS,
    "CA": CA_HUBS,
    "GB": GB_HUBS,
    "DE": DE_HUBS,
    "FR": FR_HUBS,
    "BR": BR_HUBS,
    "AU": AU_HUBS,
}

# The hub a country's international traffic leaves and enters through, per carrier.
_GATEWAYS: dict[str, dict[str, str]] = {
    "US": {"ups": "SDF", "fedex": "MEM", "dhl": "CVG", "usps": "NYC", "*": "NYC"},
    "CA": {"*": "YYZ"},
    "GB": {"*": "LHR"},
    "DE": {"dhl": "LEJ", "ups": "CGN", "*": "FRA"},
    "FR": {"*": "CDG"},
    "BR": {"*": "GRU"},
    "AU": {"*": "SYD"},
}

# Where a carrier's overnight air network sorts domestic express parcels.
AIR_HUBS: dict[tuple[str, str], str] = {
    ("US", "ups"): "SDF",
    ("US", "fedex"): "MEM",
    ("US", "dhl"): "CVG",
    ("US", "usps"): "IND",
    ("CA", "*"): "YYZ",
    ("DE", "dhl"): "LEJ",
    ("DE", "*"): "CGN",
    ("GB", "*"): "BHX",
    ("FR", "*"): "CDG",
    ("BR", "*"): "GRU",
    ("AU", "*"): "SYD",
}
