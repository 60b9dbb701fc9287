"""PNG images into a PDF without compressing them again.

A PDF can hold a PNG's compressed pixels as they are: its FlateDecode filter with a PNG predictor
reads exactly what a PNG's IDAT chunks hold. WeasyPrint nonetheless decodes every PNG and has Pillow
compress it again (at level 6, trying every row filter), which was a fifth of the year report's PDF
time for its 62 charts. `hand_over_pngs()` lets a PNG whose pixels the PDF can take as they are (8-bit
RGB or grey, not interlaced, as the charts are) go in unchanged; anything else, or a WeasyPrint that
no longer works this way, takes WeasyPrint's own path. tests/test_year_report.py checks the PDF's
pixels against the charts'.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Mapping
from typing import Any

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# IHDR colour types the PDF takes as they are: 0 grey (WeasyPrint's mode "L"), 2 RGB (mode "RGB").
AS_IS = {0: "L", 2: "RGB"}


def idat(png: bytes, mode: str) -> bytes | None:
    """The PNG's compressed pixel data, if the PDF can take it as it is for an image of `mode`."""
    if not png.startswith(SIGNATURE) or png[12:16] != b"IHDR":
        return None
    _, _, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", png[16:29])
    if depth != 8 or interlace or AS_IS.get(colour) != mode:
        return None
    parts, at = [], 8
    while at + 8 <= len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        if kind == b"IDAT":
            parts.append(png[at + 8 : at + 8 + length])
        elif kind == b"IEND":
            break
        at += 12 + length
    return b"".join(parts) or None


def hand_over_pngs() -> None:
    """Once per process: WeasyPrint's PNG step takes an image's data as it is where it can."""
    from weasyprint.images import RasterImage

    original = RasterImage.__dict__.get("_get_png_data")
    if not isinstance(original, staticmethod) or getattr(original.__func__, "as_is", False):
        return  # changed in WeasyPrint, or done already

    def png_data(pillow_image: Any) -> bytes:
        # The image as WeasyPrint opened it from the bytes it was given (not converted or rotated).
        source = getattr(pillow_image, "fp", None)
        if pillow_image.format == "PNG" and source is not None and hasattr(source, "getvalue"):
            data = idat(source.getvalue(), pillow_image.mode)
            if data is not None:
                return data
        return original.__func__(pillow_image)

    png_data.as_is = True  # type: ignore[attr-defined]
    RasterImage._get_png_data = staticmethod(png_data)


# --- pixels that arrive while the PDF is made --------------------------------------------------------
#
# WeasyPrint reads an image's size and mode when it lays the document out, and its pixels only when
# it writes the image into the PDF, at the very end. An image drawn elsewhere (the year report's
# charts, in a second process: handlers/year_report_worker.py) can be laid out from a stand-in that
# holds its PNG head alone, and its pixels handed over when WeasyPrint asks for them.

# A PNG's chunk holding no data: length, kind, and the CRC of the kind alone.
_EMPTY_IDAT = b"\x00\x00\x00\x00IDAT" + struct.pack(">I", zlib.crc32(b"IDAT"))
_IEND = b"\x00\x00\x00\x00IEND" + struct.pack(">I", zlib.crc32(b"IEND"))


class StandInMismatch(ValueError):
    """The PNG that arrived does not start as its stand-in did: the layout was made for another image."""


def stand_in(head: bytes) -> bytes:
    """A PNG with `head` (signature, IHDR and what precedes the pixels) and no pixels."""
    return head + _EMPTY_IDAT + _IEND


def pixels_later(cache: Mapping[str, Any], later: Mapping[str, tuple[bytes, Callable[[], bytes]]]) -> bool:
    """Give each image laid out from a stand-in (`later`: URL -> its PNG head, and what returns the
    PNG) its PNG when the PDF is written. `cache`: the one the document was rendered with, where
    WeasyPrint keeps each image by URL. False, changing nothing, if WeasyPrint no longer keeps its
    images this way (the caller then renders again with the PNGs)."""
    from weasyprint.images import LazyImage, RasterImage

    images = [cache.get(url) for url in later]
    laid_out = [
        i
        for i in images
        if isinstance(i, RasterImage) and isinstance(getattr(i, "image_data", None), LazyImage)
    ]
    if len(laid_out) != len(images):
        return False

    class Later(LazyImage):
        def __init__(self, head: bytes, fetch: Callable[[], bytes]) -> None:
            super().__init__({}, "later", b"")
            self._head, self._fetch, self._png = head, fetch, b""

        @property
        def data(self) -> bytes:
            if not self._png:
                png = self._fetch()
                if not png.startswith(self._head):
                    raise StandInMismatch("an image arrived with another size than it was laid out with")
                self._png = png
            return self._png

    for image, (head, fetch) in zip(laid_out, later.values(), strict=True):
        image.image_data = Later(head, fetch)
    return True
