"""Pieces every design draws in its own colours: the heading's data, the stamp, the text
mark that stands in for a logo, letter-spaced labels and the pay link's QR code."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from reportlab.platypus.flowables import Flowable

from documents.model import Stamp
from documents.pdf.logo import PreparedLogo
from documents.pdf.qr import qr_modules
from documents.pdf.sheet import Run, Sheet, draw_run


@dataclass(frozen=True, slots=True)
class Party:
    """Who a document is from or to: a name and the lines under it."""

    name: str
    lines: tuple[str, ...]
    quiet_lines: tuple[str, ...] = ()
    """Set smaller and muted: e-mail, tax and licence numbers."""


@dataclass(frozen=True, slots=True)
class Heading:
    """What the first page's heading shows, the same for an invoice and a receipt."""

    title: str
    number: tuple[str, str]
    dates: tuple[tuple[str, str], tuple[str, str]]
    highlight: tuple[str, str]
    """The one amount the reader came for: the balance due, or the amount received."""
    practice: Party
    client_label: str
    client: Party
    stamp: Stamp
    text_mark: str
    logo: PreparedLogo | None


# -- the stamp ---------------------------------------------------------------------------------


def stamp_size(sheet: Sheet, stamp: Stamp, size: float) -> tuple[float, float]:
    """The stamp's box before it is turned."""
    run = sheet.run(stamp.value, size, bold=True, char_space=size * 0.16)
    return run.width + size * 1.3, size * 2.0


def turned_size(width: float, height: float, degrees: float) -> tuple[float, float]:
    """The upright box that holds a `width` × `height` box turned by `degrees`."""
    angle = math.radians(abs(degrees))
    return (
        width * math.cos(angle) + height * math.sin(angle),
        width * math.sin(angle) + height * math.cos(angle),
    )


def draw_stamp(
    canvas: Any,
    sheet: Sheet,
    stamp: Stamp,
    centre_x: float,
    centre_y: float,
    *,
    size: float,
    degrees: float = 0.0,
    double: bool = True,
) -> None:
    """A rubber-stamp box saying PAID, VOID or OVERDUE in the stamp's colour, on paper so it
    reads on any background."""
    if stamp is Stamp.NONE:
        return
    colour = sheet.stamp_colour(stamp.value)
    width, height = stamp_size(sheet, stamp, size)
    canvas.saveState()
    canvas.translate(centre_x, centre_y)
    canvas.rotate(degrees)
    canvas.setFillColor(sheet.inks.paper)
    canvas.setStrokeColor(colour)
    canvas.setLineWidth(size * 0.11)
    radius = size * 0.22
    canvas.roundRect(-width / 2, -height / 2, width, height, radius, stroke=1, fill=1)
    if double:
        inset = size * 0.22
        canvas.setLineWidth(size * 0.04)
        canvas.roundRect(
            -width / 2 + inset,
            -height / 2 + inset,
            width - 2 * inset,
            height - 2 * inset,
            radius * 0.6,
            stroke=1,
            fill=0,
        )
    run = sheet.run(stamp.value, size, colour, bold=True, char_space=size * 0.16)
    # The letter spacing trails the last letter; take it back to centre the word.
    draw_run(canvas, run, -(run.width - run.char_space) / 2, -size * 0.36)
    canvas.restoreState()


# -- the text mark ------------------------------------------------------------------------------


def draw_text_mark(
    canvas: Any,
    sheet: Sheet,
    mark: str,
    x: float,
    y: float,
    size: float,
    *,
    shape: str,
    fill: Any,
    ink: Any,
    ring: Any = None,
    serif: bool = False,
) -> None:
    """The practice's initials in a circle or rounded square `size` wide, lower left at (x, y)."""
    canvas.saveState()
    canvas.setFillColor(fill)
    if ring is not None:
        canvas.setStrokeColor(ring)
        canvas.setLineWidth(size * 0.025)
    stroke = 1 if ring is not None else 0
    if shape == "circle":
        canvas.circle(x + size / 2, y + size / 2, size / 2, stroke=stroke, fill=1)
        if ring is not None:
            canvas.setLineWidth(size * 0.01)
            canvas.circle(x + size / 2, y + size / 2, size / 2 - size * 0.07, stroke=1, fill=0)
    else:
        canvas.roundRect(x, y, size, size, size * 0.2, stroke=stroke, fill=1)
    letters = len(mark)
    font_size = size * (0.42 if letters <= 2 else 0.32)
    run = sheet.run(mark, font_size, ink, bold=True, serif=serif, char_space=font_size * 0.04)
    draw_run(
        canvas, run, x + size / 2 + run.char_space / 2, y + size / 2 - font_size * 0.36, "centre"
    )
    canvas.restoreState()


# -- flowables ---------------------------------------------------------------------------------


class Label(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """A short letter-spaced label (small capitals, as a table header or a section's name)."""

    def __init__(self, run: Run, align: str = "left") -> None:
        super().__init__()
        self.run = run
        self.align = align

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.run.size * 1.2

    def draw(self) -> None:
        x = {"left": 0.0, "right": self.width + self.run.char_space, "centre": self.width / 2}
        draw_run(self.canv, self.run, x[self.align], self.run.size * 0.25, self.align)


class QrCode(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """The pay link as a QR code `size` points square, which is also a link to it."""

    def __init__(self, url: str, size: float, ink: Any, paper: Any) -> None:
        super().__init__()
        self.url = url
        self.size = size
        self.ink = ink
        self.paper = paper

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = self.size
        self.height = self.size
        return self.size, self.size

    def draw(self) -> None:
        canvas = self.canv
        modules, runs = qr_modules(self.url)
        unit = self.size / modules
        canvas.setFillColor(self.paper)
        canvas.rect(0, 0, self.size, self.size, stroke=0, fill=1)
        canvas.setFillColor(self.ink)
        for row, column, length in runs:
            # A hair taller than a module so rows leave no seam when rasterised.
            top = self.size - row * unit
            canvas.rect(
                column * unit, top - unit * 1.02, length * unit, unit * 1.02, stroke=0, fill=1
            )
        canvas.linkURL(self.url, (0, 0, self.size, self.size), relative=1)
