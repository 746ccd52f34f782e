"""Screenshots in the PDF: embedded losslessly, drawn to the frame width with the match boxes
outlined over them (the pixels themselves are never touched), plus close-ups of the matches at
on-screen size so the words are legible at 100 %.

A PNG of 8-bit RGB or grey (what the agent captures) goes into the PDF as it is: its
compressed IDAT data becomes the image stream with the PNG predictor declared, the way
img2pdf does it — no decoding, no recompression, byte-for-byte the pixels that were hashed.
Anything else (WebP, alpha, palette, 16-bit, interlaced) is decoded with Pillow and its raw
pixels Flate-compressed. Each image is stored once and drawn as often as needed (the close-ups
reuse it under a clipping rectangle).
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image
from reportlab.lib import colors
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFName, PDFObject, PDFStream
from reportlab.platypus import Flowable

from app.domain.case_snapshot import Box
from app.reports.pdf_base import RULE

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCREEN_POINTS_PER_PIXEL = 0.75  # 96 px per inch: a screenshot pixel at its on-screen size


class UnreadableImage(ValueError):
    """The screenshot bytes are not an image Kestrel can reproduce."""


@dataclass(frozen=True)
class PdfImage:
    """A lossless image ready to be an XObject: Flate data, PNG-predicted (a PNG's own IDAT)
    or plain (decoded pixels compressed here)."""

    name: str  # content digest: the same screenshot twice is stored once
    width: int
    height: int
    colours: int  # 3 (RGB) or 1 (grey)
    idat: bytes
    predicted: bool = True


def load_image(data: bytes) -> PdfImage:
    """The screenshot as an embeddable image, or UnreadableImage."""
    direct = _png_passthrough(data)
    if direct is not None:
        return direct
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
            else:
                flat = im.convert("L" if im.mode in ("1", "L", "I;16") else "RGB")
            # Plain Flate over the raw pixels: half the time of a PNG encode (which tries
            # a filter per row) and, for screens of text, no larger.
            pixels = zlib.compress(flat.tobytes(), 6)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadableImage(str(exc)) from None
    return PdfImage(hashlib.sha256(data).hexdigest()[:32], flat.width, flat.height,
                    3 if flat.mode == "RGB" else 1, pixels, predicted=False)


def _png_passthrough(data: bytes) -> PdfImage | None:
    """The IDAT data of a plain 8-bit RGB/grey, non-interlaced PNG with sound checksums."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    pos, idat, header = len(_PNG_SIGNATURE), [], None
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4 or \
                struct.unpack(">I", crc)[0] != zlib.crc32(kind + body):
            return None
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"tRNS":
            return None  # a transparent colour: let Pillow flatten it
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or len(header) != 13 or not idat:
        return None
    width, height, depth, colour_type, compression, filtering, interlace = \
        struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour_type not in (0, 2) or (compression, filtering, interlace) != (0, 0, 0):
        return None
    if width == 0 or height == 0:
        return None
    return PdfImage(hashlib.sha256(data).hexdigest()[:32], width, height,
                    3 if colour_type == 2 else 1, b"".join(idat))


class _PngXObject(PDFObject):  # type: ignore[misc]
    """An image XObject whose stream is Flate data (with the PNG predictor for a PNG's IDAT)."""

    def __init__(self, image: PdfImage) -> None:
        self.image = image

    def format(self, document: Any) -> bytes:
        im = self.image
        stream = PDFStream(content=im.idat)
        d = stream.dictionary
        d["Type"] = PDFName("XObject")
        d["Subtype"] = PDFName("Image")
        d["Width"] = im.width
        d["Height"] = im.height
        d["BitsPerComponent"] = 8
        d["ColorSpace"] = PDFName("DeviceRGB" if im.colours == 3 else "DeviceGray")
        d["Filter"] = PDFName("FlateDecode")  # a name, so DecodeParms is one dictionary
        if im.predicted:
            d["DecodeParms"] = PDFDictionary({"Predictor": 15, "Colors": im.colours,
                                              "BitsPerComponent": 8, "Columns": im.width})
        d["Length"] = len(im.idat)
        formatted: bytes = stream.format(document)  # encrypted here when the PDF is
        return formatted


def _draw_image(canv: Any, image: PdfImage, x: float, y: float, w: float, h: float) -> None:
    """Draw `image` into the rectangle, storing it in the document the first time."""
    if not canv.hasForm(image.name):
        canv._doc.addForm(image.name, _PngXObject(image))  # reportlab's own image registry
    canv._currentPageHasImages = 1
    canv.saveState()
    canv.translate(x, y)
    canv.scale(w, h)
    canv.doForm(image.name)
    canv.restoreState()


@dataclass(frozen=True)
class Outline:
    """A match box to outline: in the screenshot's pixels, in the category's colour."""

    box: Box
    colour: str


def outlines_within(pairs: Sequence[tuple[Box, str]], space: tuple[int, int]) -> list[Outline]:
    """The boxes that overlap the picture, cut to its edges; empty or stray ones dropped."""
    result = []
    for (x, y, w, h), colour in pairs:
        left, top = max(0, x), max(0, y)
        right, bottom = min(space[0], x + w), min(space[1], y + h)
        if right > left and bottom > top:
            result.append(Outline((left, top, right - left, bottom - top), colour))
    return result


class ScreenshotFlowable(Flowable):  # type: ignore[misc]
    """The whole screenshot with its caption below, as wide as the frame allows (never taller
    than `max_height`), its match boxes outlined. Rather than leave the rest of a page empty
    it shrinks to what is left, down to `min_fraction` of its full size. `space` is the pixel
    grid the boxes were measured on."""

    def __init__(self, image: PdfImage, outlines: Sequence[Outline], max_height: float,
                 space: tuple[int, int] | None = None, caption: Any = None,
                 min_fraction: float = 0.6) -> None:
        super().__init__()
        self.image = image
        self.outlines = tuple(outlines)
        self.max_height = max_height
        self.space = space or (image.width, image.height)
        self.caption = caption
        self.min_fraction = min_fraction
        self.pic_width = self.pic_height = self.caption_height = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.caption_height = self.caption.wrap(avail_width, avail_height)[1] + 4 \
            if self.caption is not None else 0.0
        scale = min(avail_width / self.image.width, self.max_height / self.image.height)
        room = avail_height - self.caption_height
        if self.image.height * scale > room >= self.image.height * scale * self.min_fraction:
            scale = room / self.image.height
        self.pic_width = self.image.width * scale
        self.pic_height = self.image.height * scale
        self.width = avail_width
        self.height = self.pic_height + self.caption_height
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        left = (self.width - self.pic_width) / 2
        bottom = self.caption_height
        _draw_image(canv, self.image, left, bottom, self.pic_width, self.pic_height)
        canv.saveState()
        canv.translate(left, bottom)
        clip = canv.beginPath()
        clip.rect(-3, -3, self.pic_width + 6, self.pic_height + 6)
        canv.clipPath(clip, stroke=0, fill=0)  # a box off the picture stays off the page
        _outline(canv, self.outlines, self.pic_width / self.space[0],
                 self.pic_height / self.space[1], self.pic_height, 1.4)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        canv.rect(0, 0, self.pic_width, self.pic_height, stroke=1, fill=0)
        canv.restoreState()
        if self.caption is not None:
            self.caption.drawOn(canv, 0, 0)


class CloseUpFlowable(Flowable):  # type: ignore[misc]
    """One region of the screenshot at on-screen size (or smaller, to fit the frame): the
    same stored image, drawn larger and clipped, so a close-up costs no extra bytes."""

    def __init__(self, image: PdfImage, region: Box, outlines: Sequence[Outline],
                 space: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.image = image
        self.region = region
        self.outlines = tuple(outlines)
        self.space = space or (image.width, image.height)
        self.scale = SCREEN_POINTS_PER_PIXEL

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        _, _, rw, rh = self.region
        self.scale = min(SCREEN_POINTS_PER_PIXEL, avail_width / rw)
        self.width, self.height = rw * self.scale, rh * self.scale
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        rx, ry, _, rh = self.region
        s = self.scale
        # region and boxes are measured on `space`; the image is stretched over all of it
        full_w, full_h = self.space[0] * s, self.space[1] * s
        canv.saveState()
        clip = canv.beginPath()
        clip.rect(0, 0, self.width, self.height)
        canv.clipPath(clip, stroke=0, fill=0)
        origin_x, origin_y = -rx * s, -(self.space[1] - ry - rh) * s
        canv.translate(origin_x, origin_y)
        _draw_image(canv, self.image, 0, 0, full_w, full_h)
        _outline(canv, self.outlines, s, s, full_h, 1.6)
        canv.restoreState()
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        canv.rect(0, 0, self.width, self.height, stroke=1, fill=0)


def _outline(canv: Any, outlines: Sequence[Outline], sx: float, sy: float, height: float,
             line: float) -> None:
    """Each box as a coloured frame with a faint wash; y runs down in pixels, up in PDF."""
    for item in outlines:
        x, y, w, h = item.box
        colour = colors.HexColor(item.colour)
        pad = 2.0
        left, bottom = x * sx - pad, height - (y + h) * sy - pad
        width, tall = w * sx + 2 * pad, h * sy + 2 * pad
        canv.saveState()
        canv.setFillColor(colour, alpha=0.10)
        canv.setStrokeColor(colour)
        canv.setLineWidth(line)
        canv.roundRect(left, bottom, width, tall, 2, stroke=1, fill=1)
        canv.restoreState()


def close_up_regions(boxes: Sequence[Box], space: tuple[int, int], frame_width: float,
                     limit: int = 3) -> list[Box]:
    """Regions around the match boxes, each as wide as fits the frame at on-screen size and
    a little taller than its boxes; boxes near each other share a region."""
    width_px = int(frame_width / SCREEN_POINTS_PER_PIXEL)
    img_w, img_h = space
    regions: list[list[int]] = []
    for x, y, w, h in sorted(boxes, key=lambda b: (b[1], b[0])):
        if w <= 0 or h <= 0 or x >= img_w or y >= img_h:
            continue
        for r in regions:  # join a region it is close to
            if y <= r[3] + 40 and y + h >= r[1] - 40 and \
                    max(r[2], x + w) - min(r[0], x) <= width_px - 40:
                r[0], r[1] = min(r[0], x), min(r[1], y)
                r[2], r[3] = max(r[2], x + w), max(r[3], y + h)
                break
        else:
            regions.append([x, y, x + w, y + h])
    result: list[Box] = []
    for x0, y0, x1, y1 in regions[:limit]:
        rw = min(img_w, max(width_px, x1 - x0 + 40))
        left = max(0, min((x0 + x1) // 2 - rw // 2, img_w - rw))
        top = max(0, y0 - 36)
        bottom = min(img_h, y1 + 36)
        result.append((left, top, rw, bottom - top))
    return result


class Checkpoint(Flowable):  # type: ignore[misc]
    """Takes no room; calls `action` when the layout reaches it (between two incidents)."""

    def __init__(self, action: Callable[[], None]) -> None:
        super().__init__()
        self.action = action
        self.width = self.height = 0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.action()
