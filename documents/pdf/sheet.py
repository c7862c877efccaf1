"""What every part of a PDF page is drawn with: the page's size, the palette as reportlab
colours, the typefaces, and text measured, wrapped and set in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from documents.pdf.fonts import Typefaces, printable, typefaces
from documents.themes import STAMP_COLOURS, Palette, palette
from domain.practice import InvoiceTemplate, InvoiceTheme

# Where people print on US Letter rather than A4 (CLDR's paper-size data, the larger ones).
_LETTER_TERRITORIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "PR"})


def page_size(locale: str) -> tuple[float, float]:
    """US Letter where the practice's locale prints on it, A4 elsewhere."""
    territory = locale.rpartition("_")[2].upper()
    width, height = LETTER if territory in _LETTER_TERRITORIES else A4
    return float(width), float(height)


@dataclass(frozen=True, slots=True)
class Inks:
    accent: Color
    on_accent: Color
    tint: Color
    ink: Color
    muted: Color
    rule: Color
    paper: Color

    @classmethod
    def of(cls, colours: Palette) -> Inks:
        return cls(
            accent=HexColor(colours.accent),
            on_accent=HexColor(colours.on_accent),
            tint=HexColor(colours.tint),
            ink=HexColor(colours.ink),
            muted=HexColor(colours.muted),
            rule=HexColor(colours.rule),
            paper=HexColor(colours.paper),
        )


@dataclass(frozen=True, slots=True)
class Run:
    """One line of text set in one font, size and colour."""

    text: str
    font: str
    size: float
    colour: Color
    char_space: float = 0.0

    @property
    def width(self) -> float:
        drawn = float(stringWidth(self.text, self.font, self.size))
        return drawn + self.char_space * len(self.text)

    @property
    def leading(self) -> float:
        return self.size * 1.32


def _hard_break(line: str, font: str, size: float, width: float) -> list[str]:
    """A line cut between characters where it has no space to break at (an e-mail address,
    a long reference) and would run past `width`."""
    pieces: list[str] = []
    current = ""
    for char in line:
        if current and stringWidth(current + char, font, size) > width:
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current] if current else pieces


@dataclass(frozen=True, slots=True)
class Sheet:
    """One document's drawing context."""

    template: InvoiceTemplate
    inks: Inks
    faces: Typefaces
    page_width: float
    page_height: float
    margin: float

    @classmethod
    def of(cls, template: InvoiceTemplate, theme: InvoiceTheme, locale: str) -> Sheet:
        width, height = page_size(locale)
        margins = {
            InvoiceTemplate.CLASSIC: 50.0,
            InvoiceTemplate.MODERN: 44.0,
            InvoiceTemplate.MINIMAL: 60.0,
        }
        return cls(
            template=template,
            inks=Inks.of(palette(theme)),
            faces=typefaces(),
            page_width=width,
            page_height=height,
            margin=margins[template],
        )

    @property
    def content_width(self) -> float:
        return self.page_width - 2 * self.margin

    def stamp_colour(self, stamp: str) -> Color:
        return HexColor(STAMP_COLOURS[stamp])

    def run(
        self,
        text: str,
        size: float,
        colour: Color | None = None,
        *,
        bold: bool = False,
        serif: bool = False,
        char_space: float = 0.0,
    ) -> Run:
        faces = self.faces
        font = (
            (faces.serif_bold if bold else faces.serif)
            if serif
            else (faces.sans_bold if bold else faces.sans)
        )
        return Run(printable(text, font), font, size, colour or self.inks.ink, char_space)

    def wrap(self, run: Run, width: float) -> list[Run]:
        """`run` broken into lines no wider than `width` (between words where it can)."""
        if not run.text:
            return []
        lines: list[str] = []
        for paragraph in run.text.splitlines() or [""]:
            for line in simpleSplit(paragraph, run.font, run.size, width) or [""]:
                if stringWidth(line, run.font, run.size) > width:
                    lines.extend(_hard_break(line, run.font, run.size, width))
                else:
                    lines.append(line)
        return [Run(line, run.font, run.size, run.colour, run.char_space) for line in lines]


def draw_run(canvas: Any, run: Run, x: float, y: float, align: str = "left") -> None:
    """Set `run` with its baseline at `y`, starting at `x` (or ending there when right-aligned,
    centred on it when centred)."""
    if not run.text:
        return
    if align == "right":
        x -= run.width
    elif align == "centre":
        x -= run.width / 2
    canvas.setFillColor(run.colour)
    canvas.setFont(run.font, run.size)
    if run.char_space:
        canvas.drawString(x, y, run.text, charSpace=run.char_space)
    else:
        canvas.drawString(x, y, run.text)


def draw_lines(canvas: Any, lines: list[Run], x: float, top: float, align: str = "left") -> float:
    """Set `lines` one under another from `top` down; returns where the last line's box ends."""
    y = top
    for line in lines:
        y -= line.leading
        draw_run(canvas, line, x, y + (line.leading - line.size) / 2 + line.size * 0.22, align)
    return y


def height_of(lines: list[Run]) -> float:
    return sum(line.leading for line in lines)
