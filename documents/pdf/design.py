"""What a template decides, as one class per template: its heading on the first page, how
the lines table and the totals look, and what every page carries at its top and bottom.

The base class holds what the three share; `classic.py`, `modern.py` and `minimal.py`
override the rest."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from reportlab.lib.colors import Color
from reportlab.platypus.flowables import Flowable

from documents.pdf.parts import Heading, Label, Party
from documents.pdf.sheet import Run, Sheet, draw_lines, draw_run, height_of

TableCommand = tuple[Any, ...]


class TotalKind(enum.Enum):
    SUBTOTAL = "subtotal"
    TAX = "tax"
    TOTAL = "total"
    PAID = "paid"
    BALANCE = "balance"


@dataclass(frozen=True, slots=True)
class TableShape:
    """Where things are in the lines table: row 0 is the header, then the lines, then one
    row per total (labels span the price and tax columns, amounts sit under Amount)."""

    line_rows: int
    totals: tuple[TotalKind, ...]
    columns: int = 6

    @property
    def first_total(self) -> int:
        return 1 + self.line_rows

    def row_of(self, kind: TotalKind) -> list[int]:
        return [
            self.first_total + index for index, total in enumerate(self.totals) if total is kind
        ]

    @property
    def last(self) -> int:
        return self.first_total + len(self.totals) - 1


@dataclass(frozen=True, slots=True)
class CellLook:
    font: str
    size: float
    colour: Color


class Masthead(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """The first page's heading, drawn by its design from the page's top edge down, so that a
    design may paint to the edges of the paper."""

    def __init__(self, design: Design, heading: Heading) -> None:
        super().__init__()
        self.design = design
        self.heading = heading
        self.height = 0.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        self.height = self.design.masthead_height(self.heading, available_width)
        return available_width, self.height

    def draw(self) -> None:
        self.design.draw_masthead(self.canv, self.heading, self.width, self.height)


class Design:
    """The parts of a template; the base draws nothing of its own look."""

    body_size = 8.6
    row_padding = 5.0
    edge_padding = 0.0
    """Padding at the table's outer edges: none where text lines up with the heading above."""
    running_header_height = 64.0

    def __init__(self, sheet: Sheet, footer: str) -> None:
        self.sheet = sheet
        self.inks = sheet.inks
        self.footer = self._footer_runs(footer)

    # -- the first page's heading ----------------------------------------------------------

    def masthead(self, heading: Heading) -> Flowable:
        return Masthead(self, heading)

    def masthead_height(self, heading: Heading, width: float) -> float:
        raise NotImplementedError

    def draw_masthead(self, canvas: Any, heading: Heading, width: float, height: float) -> None:
        raise NotImplementedError

    def party_runs(
        self, party: Party, width: float, *, name_size: float = 10.0, serif: bool = False
    ) -> list[Run]:
        """A party's name over its address, then its quieter lines (e-mail, numbers)."""
        sheet = self.sheet
        runs = sheet.wrap(sheet.run(party.name, name_size, bold=True, serif=serif), width)
        for line in party.lines:
            runs += sheet.wrap(sheet.run(line, name_size - 1.4), width)
        for line in party.quiet_lines:
            runs += sheet.wrap(sheet.run(line, name_size - 1.8, self.inks.muted), width)
        return runs

    # -- the lines table --------------------------------------------------------------------

    def body_look(self) -> CellLook:
        return CellLook(self.sheet.faces.sans, self.body_size, self.inks.ink)

    def header_look(self) -> CellLook:
        return CellLook(self.sheet.faces.sans_bold, self.body_size - 1, self.inks.ink)

    def header_cell(self, text: str, align: str) -> Any:
        """A column's name as the header row shows it: plain text or a flowable."""
        return text

    def total_look(self, kind: TotalKind) -> CellLook:
        strong = kind in (TotalKind.TOTAL, TotalKind.BALANCE)
        faces = self.sheet.faces
        return CellLook(
            faces.sans_bold if strong else faces.sans,
            self.body_size + (1.4 if kind is TotalKind.BALANCE else 0),
            self.inks.ink,
        )

    def table_commands(self, shape: TableShape) -> list[TableCommand]:
        raise NotImplementedError

    # -- sections after the table -----------------------------------------------------------

    def section_label(self, text: str) -> Flowable:
        return Label(self.sheet.run(text.upper(), 7.0, self.inks.accent, bold=True, char_space=1.0))

    def panel_commands(self, rows: int) -> list[TableCommand]:
        """The look of the box that holds payment terms and the QR code."""
        return [
            ("BOX", (0, 0), (-1, -1), 0.6, self.inks.rule),
            ("LEFTPADDING", (0, 0), (-1, -1), 12),
            ("RIGHTPADDING", (0, 0), (-1, -1), 12),
            ("TOPPADDING", (0, 0), (-1, -1), 10),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
        ]

    # -- every page -------------------------------------------------------------------------

    def draw_running_header(self, canvas: Any, left: str, right: str) -> None:
        """The top of every page after the first: who it is from and which document."""
        raise NotImplementedError

    footer_base = 28.0
    """Where the footer's last line sits above the paper's edge."""

    def _footer_runs(self, footer: str) -> list[Run]:
        sheet = self.sheet
        return sheet.wrap(sheet.run(footer, 7.4, self.inks.muted), sheet.content_width - 96)

    @property
    def footer_top(self) -> float:
        return self.footer_base + max(height_of(self.footer), 10.0)

    @property
    def footer_height(self) -> float:
        """What the page keeps free at its bottom for the footer."""
        return self.footer_top + 20

    def draw_footer(self, canvas: Any) -> None:
        sheet = self.sheet
        canvas.setStrokeColor(self.inks.rule)
        canvas.setLineWidth(0.5)
        top = self.footer_top
        canvas.line(sheet.margin, top + 8, sheet.page_width - sheet.margin, top + 8)
        draw_lines(canvas, self.footer, sheet.margin, top)

    def page_number_run(self, number: int, count: int) -> Run:
        return self.sheet.run(f"Page {number} of {count}", 7.4, self.inks.muted)

    def draw_page_number(self, canvas: Any, number: int, count: int) -> None:
        sheet = self.sheet
        run = self.page_number_run(number, count)
        baseline = self.footer_top - run.leading + (run.leading - run.size) / 2 + run.size * 0.22
        draw_run(canvas, run, sheet.page_width - sheet.margin, baseline, "right")


def meta_width(runs: list[tuple[Run, Run]], gap: float) -> float:
    """How wide a two-column list of labels and values must be."""
    return max(label.width for label, _ in runs) + gap + max(value.width for _, value in runs)
