"""UPU S10 numbers: which postal operator a country suffix stands for.

Why this exists: an S10 number ("RB123456785GB") names its issuing post only by the ISO 3166
code at its end, so detection needs a country -> operator table. It is long and changes for
reasons of its own (a post renamed, a country added), so it lives apart from the format table.
"""

from __future__ import annotations

__all__ = ["COUNTRIES_OF", "ISO_COUNTRIES", "S10_POSTS", "s10_carrier"]

# S10 numbers end in the ISO 3166 code of the issuing post. Countries with a well-known
# operator get that operator's slug; several countries may share one operator.
S10_POSTS: dict[str, tuple[str, str]] = {
    "US": ("usps", "USPS"),
    "CA": ("canada_post", "Canada Post"),
    "GB": ("royal_mail", "Royal Mail"),
    "DE": ("deutsche_post", "Deutsche Post"),
    "FR": ("la_poste", "La Poste"),
    "BR": ("correios", "Correios (Brazil)"),
    "CN": ("china_post", "China Post"),
    "JP": ("japan_post", "Japan Post"),
    "AU": ("australia_post", "Australia Post"),
    "NL": ("postnl", "PostNL"),
    "ES": ("correos", "Correos (Spain)"),
    "IT": ("poste_italiane", "Poste Italiane"),
    "IN": ("india_post", "India Post"),
    "HK": ("hongkong_post", "Hongkong Post"),
    "SG": ("singapore_post", "Singapore Post"),
    "NZ": ("nz_post", "NZ Post"),
    "IE": ("an_post", "An Post"),
    "BE": ("bpost", "bpost"),
    "AT": ("austrian_post", "Austrian Post"),
    "CH": ("swiss_post", "Swiss Post"),
    "SE": ("postnord", "PostNord"),
    "DK": ("postnord", "PostNord"),
    "NO": ("posten_norge", "Posten Norge"),
    "FI": ("posti", "Posti"),
    "PL": ("poczta_polska", "Poczta Polska"),
    "PT": ("ctt", "CTT Correios de Portugal"),
    "CZ": ("czech_post", "Czech Post"),
    "SK": ("slovak_post", "Slovak Post"),
    "HU": ("magyar_posta", "Magyar Posta"),
    "RO": ("posta_romana", "Posta Romana"),
    "BG": ("bulgarian_posts", "Bulgarian Posts"),
    "GR": ("elta", "ELTA Hellenic Post"),
    "HR": ("hrvatska_posta", "Hrvatska posta"),
    "SI": ("posta_slovenije", "Posta Slovenije"),
    "RS": ("posta_srbije", "Posta Srbije"),
    "EE": ("omniva", "Omniva"),
    "LV": ("latvijas_pasts", "Latvijas Pasts"),
    "LT": ("lietuvos_pastas", "Lietuvos pastas"),
    "LU": ("post_luxembourg", "POST Luxembourg"),
    "IS": ("iceland_post", "Iceland Post"),
    "CY": ("cyprus_post", "Cyprus Post"),
    "MT": ("maltapost", "MaltaPost"),
    "UA": ("ukrposhta", "Ukrposhta"),
    "RU": ("russian_post", "Russian Post"),
    "BY": ("belpost", "Belpost"),
    "KZ": ("kazpost", "Kazpost"),
    "TR": ("ptt", "PTT (Turkey)"),
    "IL": ("israel_post", "Israel Post"),
    "AE": ("emirates_post", "Emirates Post"),
    "SA": ("saudi_post", "Saudi Post (SPL)"),
    "EG": ("egypt_post", "Egypt Post"),
    "MA": ("barid_al_maghrib", "Barid Al-Maghrib"),
    "ZA": ("sapo", "South African Post Office"),
    "NG": ("nipost", "NIPOST"),
    "KE": ("posta_kenya", "Posta Kenya"),
    "KR": ("korea_post", "Korea Post"),
    "TW": ("chunghwa_post", "Chunghwa Post"),
    "TH": ("thailand_post", "Thailand Post"),
    "MY": ("pos_malaysia", "Pos Malaysia"),
    "ID": ("pos_indonesia", "Pos Indonesia"),
    "PH": ("philpost", "PHLPost"),
    "VN": ("vietnam_post", "Vietnam Post"),
    "PK": ("pakistan_post", "Pakistan Post"),
    "BD": ("bangladesh_post", "Bangladesh Post"),
    "LK": ("sri_lanka_post", "Sri Lanka Post"),
    "MX": ("correos_de_mexico", "Correos de Mexico"),
    "AR": ("correo_argentino", "Correo Argentino"),
    "CL": ("correos_chile", "Correos de Chile"),
    "CO": ("4_72", "4-72 (Colombia)"),
    "PE": ("serpost", "Serpost"),
}

# Every other ISO 3166-1 alpha-2 code: a valid S10 suffix whose operator we have not named.
# Such numbers get the generic slug "postal_<cc>" rather than being dropped.
_ISO_COUNTRY_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
"""
ISO_COUNTRIES = frozenset(_ISO_COUNTRY_CODES.split())


def s10_carrier(country: str) -> str | None:
    """Carrier slug for an S10 country suffix; None when the suffix is not a country code."""
    known = S10_POSTS.get(country)
    if known is not None:
        return known[0]
    return f"postal_{country.lower()}" if country in ISO_COUNTRIES else None


def _build_countries_of() -> dict[str, tuple[str, ...]]:
    """Carrier slug -> the S10 country suffixes it issues, to generate example numbers."""
    countries_of: dict[str, tuple[str, ...]] = {}
    for country in sorted(ISO_COUNTRIES):
        slug = s10_carrier(country)
        if slug is not None:
            countries_of[slug] = (*countries_of.get(slug, ()), country)
    return countries_of


COUNTRIES_OF = _build_countries_of()
"""Carrier slug -> the S10 country suffixes it issues."""
