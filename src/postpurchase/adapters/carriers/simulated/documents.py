"""The simulated carrier's 4×6 labels: ZPL as a thermal printer takes it, and a PDF drawn
with fpdf2 (LGPL-3.0, unmodified from PyPI) with the same content and a Code 39 barcode.

Why real documents: the label service stores, serves and voids what carriers send, and a
newcomer opens the demo's labels; a stand-in string would hide a wrong content type or a
broken download.
"""

from __future__ import annotations

from postpurchase.domain.addresses import Address

DPI = 203  # the common thermal printers' resolution: 4×6 in = 812×1218 dots


def _lines(a: Address) -> list[str]:
    city = " ".join(p for p in (a.city, a.region, a.postal_code) if p)
    return [p for p in (a.name, a.line1, a.line2, city, a.country) if p]


def _zpl_text(value: str) -> str:
    """ZPL field data without its control characters (^ and ~ start commands)."""
    return value.replace("^", " ").replace("~", " ")


def zpl(carrier: str, service: str, number: str, origin: Address, to: Address) -> bytes:
    """A 4×6 ZPL II label: sender, recipient, service, a Code 128 barcode of the number."""
    out = ["^XA", "^CI28", f"^PW{4 * DPI}", f"^LL{6 * DPI}"]
    y = 40
    for line in _lines(origin):
        out.append(f"^FO40,{y}^A0N,26,26^FD{_zpl_text(line)}^FS")
        y += 30
    out.append(f"^FO40,{y + 10}^GB732,3,3^FS")
    y += 40
    out.append(f"^FO40,{y}^A0N,30,30^FDSHIP TO:^FS")
    y += 40
    for line in _lines(to):
        out.append(f"^FO60,{y}^A0N,40,40^FD{_zpl_text(line)}^FS")
        y += 48
    out.append(f"^FO40,{y + 10}^GB732,3,3^FS")
    out.append(f"^FO40,{y + 40}^A0N,56,56^FD{_zpl_text(carrier.upper())} "
               f"{_zpl_text(service.upper())}^FS")  # fmt: skip
    out.append(f"^FO60,{y + 130}^BY3^BCN,200,Y,N,N^FD{_zpl_text(number)}^FS")
    out.append("^XZ")
    return ("\n".join(out) + "\n").encode()


def pdf(carrier: str, service: str, number: str, origin: Address, to: Address) -> bytes:
    """The same label as a one-page 4×6 in PDF (288×432 pt)."""
    from fpdf import FPDF

    doc = FPDF(unit="pt", format=(288, 432))
    doc.set_auto_page_break(False)
    doc.set_margins(0, 0, 0)
    doc.add_page()
    doc.set_font("Helvetica", size=9)
    y = 24.0
    for line in _lines(origin):
        doc.text(18, y, _latin(line))
        y += 11
    doc.line(18, y, 270, y)
    y += 18
    doc.set_font("Helvetica", "B", 10)
    doc.text(18, y, "SHIP TO:")
    y += 16
    doc.set_font("Helvetica", size=13)
    for line in _lines(to):
        doc.text(30, y, _latin(line))
        y += 16
    doc.line(18, y, 270, y)
    doc.set_font("Helvetica", "B", 18)
    doc.text(18, y + 30, _latin(f"{carrier.upper()} {service.upper()}"))
    code = "".join(ch for ch in number.upper() if ch.isalnum())
    narrow = min(1.0, 252 / ((len(code) + 2) * 16))  # Code 39: ~16 narrow bars a character
    doc.code39(f"*{code}*", x=18, y=y + 50, w=narrow, h=70)
    doc.set_font("Helvetica", size=11)
    doc.text(18, y + 140, number)
    return bytes(doc.output())


def _latin(text: str) -> str:
    """fpdf2's core fonts are Latin-1: anything else is replaced, not an error."""
    return text.encode("latin-1", "replace").decode("latin-1")
