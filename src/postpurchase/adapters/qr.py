"""QR codes as PNG images (segno: pure Python, BSD-3-Clause), e.g. for box-free return
drop-off, where the carrier's counter scans the code instead of a printed label."""

from __future__ import annotations

import io

import segno


def qr_png(text: str, *, scale: int = 6) -> bytes:
    """``text`` as a QR code (error correction M, a 4-module quiet zone), as PNG bytes."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
