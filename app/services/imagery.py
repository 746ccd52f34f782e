"""The blurred stand-in for restricted imagery (DESIGN §11), made before pixels reach a screen.

A restricted screenshot is shrunk to a few dozen pixels across; the viewer blows it back up to
the screenshot's size. The layout and colours stay (a DSL can tell a chat from a photo), while
no text or body can be made out. The shrinking is done here, in the service, so the UI is never
handed the real image without an audited reveal (and the tiny PNG costs a few milliseconds,
where a full-size blurred PNG cost over 100).
"""

from __future__ import annotations

import io

from PIL import Image

from app.errors import IntegrityError

BLUR_WIDTH = 32  # pixels across the shrunk image: far below legibility at any zoom
MAX_PIXELS = 8192 * 8192  # a screenshot larger than this is not one we made


def blurred_png(data: bytes) -> tuple[bytes, int, int]:
    """(PNG of the image shrunk to BLUR_WIDTH pixels across, the original width, height)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise IntegrityError("The screenshot is larger than any screen; it is not shown.")
            width, height = image.size
            small_height = max(1, round(BLUR_WIDTH * height / max(1, width)))
            small = image.convert("RGB").resize((BLUR_WIDTH, small_height),
                                                Image.Resampling.BOX)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise IntegrityError("The screenshot cannot be decoded; it is not shown.") from None
    out = io.BytesIO()
    small.save(out, "PNG")
    return out.getvalue(), width, height
