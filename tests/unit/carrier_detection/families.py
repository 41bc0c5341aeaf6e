"""The number families the accuracy of carrier detection is measured on: each carrier's
published examples and the rules that draw more of its numbers."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from postpurchase.domain.carrier_detection.formats import FORMAT_INDEX, FORMATS
from postpurchase.domain.carrier_detection.rows import DIGITS, draw

Generator = Callable[[random.Random], str]


@dataclass(frozen=True)
class Family:
    """Numbers one carrier issues in one layout (or a few layouts of one kind)."""

    label: str
    carrier: str | None  # None: the carrier is the S10 country suffix's post
    formats: tuple[str, ...]  # formats whose published rule generates real numbers
    published: tuple[str, ...]
    extra: tuple[Generator, ...] = field(default=())  # further rule-based generators
    new: bool = False  # one of the families issue 11 reported as missed


def _fedex_34_any(rng: random.Random) -> str:
    """FedEx Express 34 per its published layout: [0-8] + 14 + ZIP 5 + serial 13 + check."""
    fmt = FORMATS[FORMAT_INDEX["fedex_34"]]
    while True:
        body = draw(rng, (("012345678", 1), (DIGITS, 19), "00", (DIGITS, 11)))
        for check in DIGITS:
            if fmt.check is not None and fmt.check(body + check):
                return body + check


def _luhn_number(first: str, length: int) -> Generator:
    from postpurchase.domain.carrier_detection import luhn

    def generate(rng: random.Random) -> str:
        body = draw(rng, ((first, 1), (DIGITS, length - 2)))
        return body + luhn(body)

    return generate


def _dhl_11(rng: random.Random) -> str:
    from postpurchase.domain.carrier_detection import dhl_mod7

    body = draw(rng, ((DIGITS, 10),))
    return body + dhl_mod7(body)


def _sscc_with_ai(rng: random.Random) -> str:
    """An SSCC-18 written with its application identifier in brackets, as GS1-128 prints it."""
    number = FORMATS[FORMAT_INDEX["fedex_sscc_18"]].generate(rng, "fedex")
    return f"(00) {number[0]} {number[1:8]} {number[8:17]} {number[17]}"


def _nve_with_ai(rng: random.Random) -> str:
    number = FORMATS[FORMAT_INDEX["dhl_paket_nve"]].generate(rng, "dhl_paket")
    return f"(00) {number[2:]}"


FAMILIES: tuple[Family, ...] = (
    Family(
        "UPS 1Z",
        "ups",
        ("ups_1z",),
        (
            "1Z5R89390357567127",
            "1Z879E930346834440",
            "1Z410E7W0392751591",
            "1Z8V92A70367203024",
            "1ZXX3150YW44070023",
            # UPS Tracking Web Service Developer Guide test numbers whose check digit holds.
            "1Z12345E6605272234",
            "1Z648616E192760718",
            "1ZWX0692YP40636269",
        ),
    ),
    Family(
        "UPS waybill",
        "ups",
        ("ups_waybill",),
        (
            "K1506235620",
            "K 150 623 562 0",
            "K2479825491",
            "J4603636537",
            "V0490119172",
            "V0431105627",
        ),
        new=True,
    ),
    Family("UPS Mail Innovations", "ups", ("ups_mi",), ("MI123456ABC123456",)),
    Family(
        "USPS IMpb",
        "usps",
        (
            "usps_impb_22",
            "usps_impb_26",
            "usps_impb_30",
            "usps_impb_34",
            "usps_impb_34_long",
            "usps_impb_38",
        ),
        (
            "9400 1112 0108 0805 4830 16",
            "9505 5110 6960 5048 6006 24",
            "92748931507708513018050063",
            "420 22153 9101026837331000039521",
            "4201002334249200190132607600833457",
            "420787459400111206206406260787",
            "9400111206206406260787",
            "9405803699300124287899",
            "9434611206206406227577",
            "9361 2898 7870 0317 6337 95",
            "92001903060085300042901077",
            "420902459261290336128704042634",
        ),
    ),
    Family(
        "USPS 20",
        "usps",
        ("usps_20", "usps_impb_20"),
        ("0307 1790 0005 2348 3741", "7112 3456 7891 2345 6787", "7196 9010 7560 0307 7385"),
    ),
    Family(
        "FedEx Express 12",
        "fedex",
        ("fedex_12",),
        (
            "986578788855",
            "477179081230",
            "799531274483",
            "790535312317",
            "974367662710",
            # FedEx developer portal examples and mock tracking numbers.
            "771613423732",
            "795803657326",
            "128667043726",
            "301025281523",
        ),
    ),
    Family(
        "FedEx Ground 15",
        "fedex",
        ("fedex_15",),
        (
            "0414 4176 0228 964",
            "5682 8361 0012 000",
            "5682 8361 0012 734",
            "449044304137821",
            "149331877648230",
            "122816215025810",
            "997048950367429",
        ),
    ),
    Family(
        "FedEx Ground 96 (22, 34)",
        "fedex",
        ("fedex_96_22", "fedex_96_34"),
        (
            "9611020987654312345672",
            "9611804010639001854878",
            "9611804512604749366900",
            "9622001900000000000000776632517510",
            "9622001560000000000000794808390594",
            "9632001560123456789900794808390594",
        ),
    ),
    Family(
        "FedEx Express 34",
        "fedex",
        ("fedex_34",),
        (
            "1001921334250001000300779017972697",
            "1001921380360001000300639585804382",
            "1001901781990001000300617767839437",
            "1002297871540001000300790695517286",
            "1027590111820004833500785458233610",
            "1195266473930007521100871079919940",
            "1 1 9 52 6 64739 3000 75211 00 8710 799 199 40",
            "1195271874060007521100871140316925",
            "1195583874210007521100871140316936",
        ),
        (_fedex_34_any,),
        new=True,
    ),
    Family(
        "FedEx ASTRA 32",
        "fedex",
        ("fedex_astra_32",),
        (
            "32971514560102447849175802862014",
            "32971510360102447848540980802018",
            "32971508360102447847941133172013",
            "33810799560000004380417923803212",
            "3 29715 145 6010244 784917580286 2014",
        ),
        new=True,
    ),
    Family(
        "SSCC-18 (FedEx Ground)",
        "fedex",
        ("fedex_sscc_18", "fedex_sscc_20"),
        ("00 0123 4500 0000 0027", "(00) 0 0012345 000000002 7", "(00)000123450000000027"),
        (_sscc_with_ai,),
        new=True,
    ),
    Family(
        "FedEx SmartPost 20",
        "fedex",
        ("fedex_smartpost_20",),
        (
            "61299998820821171811",
            "41999998135520738841",
            "61299998620341515252",
            "74899992242124855076",
        ),
    ),
    Family("FedEx door tag", "fedex", ("fedex_door_tag",), ("DT771613423732",)),
    Family(
        "DHL Express waybill",
        "dhl",
        ("dhl_express_10",),
        (
            "3318810025",
            "73891051146",
            "8487135506",
            "1099255990",
            "3821724944",
            "3318810036",
            "3318810014",
        ),
        (_dhl_11,),
    ),
    Family(
        "DHL piece ID",
        "dhl",
        ("dhl_piece_id",),
        ("JJD0099999999", "JVGL9999999999", "JVGL0999999990"),
    ),
    Family(
        "DHL Paket NVE",
        "dhl_paket",
        ("dhl_paket_nve",),
        ("00340434161094042557", "00340433836442636597", "(00) 340434 1610940425 57"),
        (_nve_with_ai,),
    ),
    Family(
        "DHL eCommerce GM/LX/RX",
        "dhl_ecommerce",
        ("dhl_ecommerce",),
        (
            "GM2951173225174494",
            "GM 2 9 5 117 32 25 1 7 44 9 4",
            "GM295117494011169042",
            "GM9E44608A27984866BA2D",
        ),
        new=True,
    ),
    Family(
        "DHL eCommerce 14",
        "dhl_ecommerce",
        ("dhl_ecommerce_14",),
        ("60120172242323", "5108 7693037816", "60120174971147"),
        new=True,
    ),
    Family(
        "Amazon TBA",
        "amazon",
        ("amazon_tba",),
        ("TBA502887274000", "TBA010000000000", "TBC 000000000000", "TBM502887274000"),
    ),
    Family(
        "Amazon international",
        "amazon",
        ("amazon_intl",),
        ("C1004444443", "C1004444444"),
        new=True,
    ),
    Family(
        "OnTrac",
        "ontrac",
        ("ontrac_c", "ontrac_d"),
        (
            "C11031500001879",
            "C 110 31 500 00187 9",
            "C10999911320231",
            "C11121552953069",
            "C11121553156000",
            "C11121552829468",
            "D10011354453707",
            "D10011345983010",
            "D10011342332145",
        ),
    ),
    Family(
        "LaserShip 1LS",
        "lasership",
        ("lasership_1ls",),
        ("1LS717793482164", "1LS724505321754", "1LS720000000000", "1LS7119013618127-1"),
    ),
    Family(
        "LaserShip 1LSCX / LX / LI",
        "lasership",
        ("lasership_1lscx", "lasership_lx"),
        (
            "1LS CX VE00 58631Y",
            "1LSCXVE005BUEFX",
            "LX17635036",
            "LX 176 35035",
            "LI 129 79072",
            "LI12976442",
            "LA28376237",
            "LH13830790",
            "LE10917377",
            "LN30083672",
        ),
        new=True,
    ),
    Family(
        "Canada Post 16",
        "canada_post",
        ("canada_post_16",),
        ("0073938000549297", "7035114477138472", "4002847016405018"),
    ),
    Family(
        "Purolator 12",
        "purolator",
        ("purolator_12",),
        (
            "320595463938",
            "320606146993",
            "287809468872",
            "320610804900",
            "331426749957",
            "331434972567",
        ),
        (_luhn_number("012345", 12),),
        new=True,
    ),
    Family(
        "Purolator alpha",
        "purolator",
        ("purolator_alpha",),
        ("KYV009956937", "CGK002986959", "JFV247545960", "TLR000083964"),
    ),
    Family(
        "DPD 14 (depot 0xxx)",
        "dpd",
        ("dpd_14",),
        ("01905002345615", "09980000020033", "01015026003653"),
    ),
    Family(
        "DPD 15 / 28",
        "dpd",
        ("dpd_15", "dpd_28"),
        (
            "01905002345615Y",
            "09 9800 0002 0033 F",
            "0998 0000 0200 34D",
            "00 81827 0998 0000 0200 33 350 276 C",
            "0081 827 0998 0000 0200 45 327 276 N",
        ),
    ),
    Family(
        "Yodel",
        "yodel",
        ("yodel",),
        (
            "JJD0002257639032011",
            "JJD0002255380054291",
            "JD0002242617644732",
            "JD0002254405060992",
            "J J D 0 0 0 2 2 5 7 6 3 9 0 3 2 0 2 0",
        ),
        new=True,
    ),
    Family(
        "Old Dominion",
        "old_dominion",
        ("old_dominion", "old_dominion_guaranteed"),
        (
            "07209562763",
            "77767553207",
            "77806528897",
            "78045768393",
            "80003280379",
            "80993847369",
        ),
        new=True,
    ),
    Family(
        "Canpar 22",
        "canpar",
        ("canpar_22",),
        (
            "D576002440000001718010",
            "D576002440000001428004",
            "D576002440000002496001",
            "L576002440000000001004",
            "L576002440000000004001",
            "S576002440000000004001",
            "S576002440000000025001",
        ),
        new=True,
    ),
    Family(
        "Landmark Global LTN",
        "landmark_global",
        ("landmark_ltn",),
        ("LTN74207623N1", "LTN74209518N1", "LTN74224021N1"),
        new=True,
    ),
    Family(
        "GOFO",
        "gofo",
        ("gofo_us",),
        ("GFUS01011884214464", "GFUS01011884214272"),
        new=True,
    ),
    Family(
        "Spee-Dee",
        "speedee",
        ("speedee",),
        (
            "SP029692510000920746",
            "SP029692510000901479",
            "SP029692510000688332",
            "SP029692510000279301",
            "SP029692450001607639",
        ),
        new=True,
    ),
    Family(
        "YunExpress",
        "yunexpress",
        ("yunexpress",),
        ("YT2229521272164446", "YT2229521272164447", " Y T 2 2 2 9 5 2 1 2 7 2 1 6 4 4 4 7 "),
        new=True,
    ),
    Family(
        "UPU S10 (posts)",
        None,
        ("upu_s10",),
        ("RB123456785GB", "RB123456785US", "RB123456785CV", "AA473124829GB", "RB123456785CA"),
    ),
)
