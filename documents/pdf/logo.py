"""A practice's logo fitted into a box of the page, raster or vector, without distortion."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PIL import Image, UnidentifiedImageError
from reportlab.graphics import renderPDF
from reportlab.lib.utils import ImageReader
from svglib.svglib import svg2rlg

from domain.logos import Logo

logger = logging.getLogger(__name__)

# Enough pixels for print (about 300 dpi at the largest box a design gives a logo), and no
# more: a 4000-pixel upload would otherwise travel in every invoice PDF.
_MAX_PIXELS = 900
# A small PNG can hold a vast plain image; decoding one would take the process's memory.
_MAX_SOURCE_PIXELS = 16_000_000


@dataclass(frozen=True, slots=True)
class PreparedLogo:
    """A logo read once: either an image (pixels, alpha kept) or an SVG drawing."""

    key: str
    width: float
    height: float
    image: Any = None
    """A reportlab ImageReader of the raster logo."""
    drawing: Any = None
    """A reportlab Drawing of the SVG logo."""

    @property
    def aspect(self) -> float:
        return self.width / self.height


def _raster(content: bytes, key: str) -> PreparedLogo | None:
    try:
        picture = Image.open(io.BytesIO(content))
        if picture.width * picture.height > _MAX_SOURCE_PIXELS:
            return None
        picture.load()
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    has_alpha = picture.mode in ("RGBA", "LA") or "transparency" in picture.info
    converted = picture.convert("RGBA" if has_alpha else "RGB")
    converted.thumbnail((_MAX_PIXELS, _MAX_PIXELS), Image.Resampling.LANCZOS)
    if converted.width < 1 or converted.height < 1:
        return None
    return PreparedLogo(
        key, float(converted.width), float(converted.height), image=ImageReader(converted)
    )


def _vector(content: bytes, key: str) -> PreparedLogo | None:
    try:
        drawing = svg2rlg(io.BytesIO(content))
    except Exception:  # svglib raises whatever its XML and CSS parsers raise
        logger.warning("an SVG logo could not be read; the text mark stands in for it")
        return None
    if drawing is None or drawing.width <= 0 or drawing.height <= 0:
        return None
    return PreparedLogo(key, float(drawing.width), float(drawing.height), drawing=drawing)


@lru_cache(maxsize=64)
def _prepared(content_type: str, content: bytes) -> PreparedLogo | None:
    key = hashlib.sha256(content).hexdigest()[:16]
    if content_type == "image/svg+xml":
        return _vector(content, key)
    return _raster(content, key)


def prepare_logo(logo: Logo | None) -> PreparedLogo | None:
    """`logo` ready to draw, or None when there is none or it cannot be read (the design
    then shows the practice's text mark)."""
    if logo is None or not logo.content:
        return None
    return _prepared(logo.content_type, logo.content)


def fit(logo: PreparedLogo, box_width: float, box_height: float) -> tuple[float, float]:
    """The largest size of `logo` inside the box that keeps its aspect ratio."""
    scale = min(box_width / logo.width, box_height / logo.height)
    return logo.width * scale, logo.height * scale


def draw_logo(canvas: Any, logo: PreparedLogo, x: float, y: float, width: float) -> None:
    """Draw `logo` with its lower left corner at (x, y), `width` wide (height by its aspect).

    An SVG goes into a form XObject, like an image, so that a reader of the PDF finds the logo
    as one placed object."""
    height = width / logo.aspect
    if logo.image is not None:
        canvas.drawImage(logo.image, x, y, width, height, mask="auto")
        return
    name = f"logo-{logo.key}"
    if not canvas.hasForm(name):
        canvas.beginForm(name, 0, 0, logo.width, logo.height)
        renderPDF.draw(logo.drawing, canvas, 0, 0)
        canvas.endForm()
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(width / logo.width, height / logo.height)
    canvas.doForm(name)
    canvas.restoreState()
