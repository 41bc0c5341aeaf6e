"""Check-digit algorithms of the carriers' tracking numbers.

Why this exists: the check digit is what tells apart carriers that reuse the same shape of
number (12 digits is FedEx Express or Purolator...) and what catches a mistyped number before
any carrier is asked. Each function takes the payload the carrier's rule covers and returns the
expected check character, so the same function both validates and generates numbers.
"""

from __future__ import annotations

__all__ = [
    "dhl_mod7",
    "fedex_mod11",
    "gs1_mod10",
    "iso7064_mod37_36",
    "luhn",
    "s10_mod11",
    "ups_mod10",
]


def gs1_mod10(payload: str) -> str:
    """GS1 modulo 10: weights 3,1,3,1... from the rightmost payload digit, check = -sum mod 10.

    Used by USPS IMpb (USPS Publication 199), FedEx Ground / SmartPost, Canada Post's 16-digit
    PIN and GS1 SSCC (DHL Paket NVE). Weights 3 and 1 are both prime to 10, so every single-digit
    substitution changes the check digit.
    """
    total = 0
    for i, ch in enumerate(reversed(payload)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str(-total % 10)


def _ups_value(ch: str) -> int:
    """UPS maps letters onto digits by their ASCII code: A=2, B=3 ... I=0, J=1 ... Z=7."""
    return int(ch) if ch.isdigit() else (ord(ch) - 63) % 10


def ups_mod10(payload: str) -> str:
    """UPS 1Z rule (also OnTrac's): odd positions x1, even positions x2, check = -sum mod 10.

    Letters count through `_ups_value`. The doubled positions are not reduced to a digit sum
    (unlike Luhn), so a substitution that changes a doubled digit by 5 goes unnoticed.
    """
    total = 0
    for i, ch in enumerate(payload):
        total += _ups_value(ch) * (2 if i % 2 == 1 else 1)
    return str(-total % 10)


def fedex_mod11(payload: str) -> str:
    """FedEx Express rule: weights 1,3,7 repeating from the rightmost payload digit.

    For the 11 payload digits of a 12-digit number that reads 3,1,7,3,1,7,3,1,7,3,1 from the
    left. Check = (sum mod 11) mod 10; the final mod 10 folds remainder 10 onto 0.
    """
    weights = (1, 3, 7)
    total = 0
    for i, ch in enumerate(reversed(payload)):
        total += int(ch) * weights[i % 3]
    return str(total % 11 % 10)


def dhl_mod7(payload: str) -> str:
    """DHL Express air waybill rule: the check digit is the payload, read as a number, mod 7."""
    return str(int(payload) % 7)


_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_mod11(payload: str) -> str:
    """UPU S10 rule: weights 8,6,4,2,3,5,9,7 over the 8-digit serial, check = 11 - (sum mod 11).

    A result of 10 becomes 0 and 11 becomes 5, as the S10 standard specifies, so check 5 is
    shared by two remainders and not every substitution is caught.
    """
    total = sum(int(ch) * w for ch, w in zip(payload, _S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "0" if check == 10 else "5" if check == 11 else str(check)


def luhn(payload: str) -> str:
    """Luhn (ISO/IEC 7812) check digit, used by Purolator's 12-digit PINs."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        digit = int(ch)
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str(-total % 10)


_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def iso7064_mod37_36(payload: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid system), the check character of DPD parcel numbers.

    Works over digits and letters (0-9 = 0-9, A-Z = 10-35) and returns one of those 36
    characters; it catches every single substitution and every adjacent transposition.
    """
    modulus = 36
    product = modulus
    for ch in payload:
        total = (product + _ALPHANUMERIC.index(ch)) % modulus or modulus
        product = total * 2 % (modulus + 1)
    return _ALPHANUMERIC[(modulus + 1 - product) % modulus]
