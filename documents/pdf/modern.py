"""Modern: an accent band across the top with the logo on a paper chip, three columns under
it, and a table with a coloured header and tinted rows."""

from __future__ import annotations

from typing import Any

from documents.pdf.design import CellLook, Design, TableCommand, TableShape, TotalKind
from documents.pdf.logo import draw_logo, fit
from documents.pdf.parts import Heading, Label, draw_stamp, draw_text_mark, stamp_size, turned_size
from documents.pdf.sheet import Run, draw_lines, draw_run, height_of

LOGO_BOX = (150.0, 44.0)
CHIP_PADDING = 8.0
TEXT_MARK = 50.0
BAND_TOP = 34.0
BAND_BOTTOM = 26.0
STAMP_DEGREES = -6.0
STAMP_SIZE = 10.5
COLUMN_GAP = 16.0


class Modern(Design):
    edge_padding = 8.0
    running_header_height = 58.0

    # -- the band -------------------------------------------------------------------------

    def _chip(self, heading: Heading) -> tuple[float, float]:
        if heading.logo is None:
            return TEXT_MARK, TEXT_MARK
        width, height = fit(heading.logo, *LOGO_BOX)
        return width + 2 * CHIP_PADDING, height + 2 * CHIP_PADDING

    def _name(self, heading: Heading, width: float) -> list[Run]:
        sheet = self.sheet
        return sheet.wrap(
            sheet.run(heading.practice.name, 13, self.inks.on_accent, bold=True), width
        )

    def _title(self, heading: Heading) -> Run:
        return self.sheet.run(
            heading.title.upper(), 24, self.inks.on_accent, bold=True, char_space=3.0
        )

    def _number(self, heading: Heading) -> Run:
        label, value = heading.number
        return self.sheet.run(f"{label} {value}", 10, self.inks.on_accent)

    def _stamp_box(self, heading: Heading) -> tuple[float, float]:
        if not heading.stamp.value:
            return 0.0, 0.0
        return turned_size(*stamp_size(self.sheet, heading.stamp, STAMP_SIZE), STAMP_DEGREES)

    def _band_height(self, heading: Heading, width: float) -> float:
        left = self._chip(heading)[1] + 12 + height_of(self._name(heading, width * 0.55))
        right = self._title(heading).leading + self._number(heading).leading
        stamp = self._stamp_box(heading)[1]
        if stamp:
            right += 10 + stamp
        return BAND_TOP + max(left, right) + BAND_BOTTOM

    # -- the three columns ----------------------------------------------------------------

    def _columns(self, width: float) -> tuple[float, float, float]:
        third = (width - 2 * COLUMN_GAP) / 3
        return third, third, third

    def _label(self, text: str, colour: Any = None) -> Run:
        return self.sheet.run(
            text.upper(), 7.0, colour or self.inks.accent, bold=True, char_space=1.2
        )

    def _client(self, heading: Heading, width: float) -> list[Run]:
        return [
            self._label(heading.client_label),
            *self.party_runs(heading.client, width, name_size=10.4),
        ]

    def _from(self, heading: Heading, width: float) -> list[Run]:
        sheet = self.sheet
        if not heading.practice.lines and not heading.practice.quiet_lines:
            return []
        runs = [self._label("From")]
        for line in heading.practice.lines:
            runs += sheet.wrap(sheet.run(line, 9.0), width)
        for line in heading.practice.quiet_lines:
            runs += sheet.wrap(sheet.run(line, 8.2, self.inks.muted), width)
        return runs

    def _box(self, heading: Heading, width: float) -> tuple[Run, Run, list[tuple[Run, Run]]]:
        sheet = self.sheet
        label, value = heading.highlight
        size = 18.0
        amount = sheet.run(value, size, self.inks.accent, bold=True)
        while amount.width > width - 26 and size > 10:
            size -= 1
            amount = sheet.run(value, size, self.inks.accent, bold=True)
        dates = [
            (sheet.run(name, 8.0, self.inks.muted), sheet.run(day, 8.6))
            for name, day in heading.dates
        ]
        return self._label(label, self.inks.muted), amount, dates

    def _box_height(self, heading: Heading, width: float) -> float:
        label, amount, dates = self._box(heading, width)
        return 12 + label.leading + amount.leading + 6 + 14 * len(dates) + 8

    def masthead_height(self, heading: Heading, width: float) -> float:
        first, second, third = self._columns(width)
        below = max(
            height_of(self._client(heading, first)),
            height_of(self._from(heading, second)),
            self._box_height(heading, third),
        )
        return self._band_height(heading, width) + 26 + below + 26

    def draw_masthead(self, canvas: Any, heading: Heading, width: float, height: float) -> None:
        inks = self.inks
        sheet = self.sheet
        band = self._band_height(heading, width)
        canvas.setFillColor(inks.accent)
        canvas.rect(-sheet.margin, height - band, sheet.page_width, band, stroke=0, fill=1)

        top = height - BAND_TOP
        chip_width, chip_height = self._chip(heading)
        if heading.logo is not None:
            # Paper under the logo: a dark or transparent logo would vanish on the accent.
            canvas.setFillColor(inks.paper)
            canvas.roundRect(0, top - chip_height, chip_width, chip_height, 6, stroke=0, fill=1)
            logo_width = chip_width - 2 * CHIP_PADDING
            draw_logo(
                canvas, heading.logo, CHIP_PADDING, top - chip_height + CHIP_PADDING, logo_width
            )
        else:
            draw_text_mark(
                canvas,
                sheet,
                heading.text_mark,
                0,
                top - chip_height,
                chip_height,
                shape="circle",
                fill=inks.paper,
                ink=inks.accent,
            )
        draw_lines(canvas, self._name(heading, width * 0.55), 0, top - chip_height - 10)

        title = self._title(heading)
        draw_run(canvas, title, width + title.char_space, top - title.size * 0.86, "right")
        number = self._number(heading)
        number_top = top - title.leading
        draw_lines(canvas, [number], width, number_top, "right")
        stamp_width, stamp_height = self._stamp_box(heading)
        if stamp_height:
            draw_stamp(
                canvas,
                sheet,
                heading.stamp,
                width - stamp_width / 2,
                number_top - number.leading - 10 - stamp_height / 2,
                size=STAMP_SIZE,
                degrees=STAMP_DEGREES,
            )

        first, second, third = self._columns(width)
        row_top = height - band - 26
        draw_lines(canvas, self._client(heading, first), 0, row_top)
        draw_lines(canvas, self._from(heading, second), first + COLUMN_GAP, row_top)

        box_left = first + second + 2 * COLUMN_GAP
        box_height = self._box_height(heading, third)
        canvas.setFillColor(inks.tint)
        canvas.roundRect(box_left, row_top - box_height, third, box_height, 5, stroke=0, fill=1)
        canvas.setFillColor(inks.accent)
        canvas.rect(box_left, row_top - box_height, 3.2, box_height, stroke=0, fill=1)
        label, amount, dates = self._box(heading, third)
        inner = box_left + 14
        y = draw_lines(canvas, [label, amount], inner, row_top - 10)
        y -= 6
        for name, day in dates:
            y -= 14
            draw_run(canvas, name, inner, y + 3.5)
            draw_run(canvas, day, box_left + third - 12, y + 3.5, "right")

    # -- table ----------------------------------------------------------------------------

    def header_cell(self, text: str, align: str) -> Any:
        return Label(
            self.sheet.run(text.upper(), 7.0, self.inks.on_accent, bold=True, char_space=1.0),
            align,
        )

    def total_look(self, kind: TotalKind) -> CellLook:
        look = super().total_look(kind)
        if kind is TotalKind.BALANCE:
            return CellLook(look.font, look.size, self.inks.on_accent)
        return look

    def table_commands(self, shape: TableShape) -> list[TableCommand]:
        inks = self.inks
        commands: list[TableCommand] = [
            ("BACKGROUND", (0, 0), (-1, 0), inks.accent),
            ("TOPPADDING", (0, 0), (-1, 0), 7),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 6),
        ]
        if shape.line_rows:
            commands.append(
                ("ROWBACKGROUNDS", (0, 1), (-1, shape.line_rows), [inks.paper, inks.tint])
            )
            commands.append(
                ("LINEBELOW", (0, shape.line_rows), (-1, shape.line_rows), 0.6, inks.rule)
            )
        commands.append(("TOPPADDING", (0, shape.first_total), (-1, shape.first_total), 10))
        for row in shape.row_of(TotalKind.TOTAL):
            commands.append(("LINEABOVE", (3, row), (-1, row), 0.8, inks.accent))
        for row in shape.row_of(TotalKind.BALANCE):
            commands += [
                ("BACKGROUND", (3, row), (-1, row), inks.accent),
                ("TOPPADDING", (0, row), (-1, row), 7),
                ("BOTTOMPADDING", (0, row), (-1, row), 7),
            ]
        return commands

    def panel_commands(self, rows: int) -> list[TableCommand]:
        return [
            ("BACKGROUND", (0, 0), (-1, -1), self.inks.tint),
            ("ROUNDEDCORNERS", [6, 6, 6, 6]),
            ("LEFTPADDING", (0, 0), (-1, -1), 16),
            ("RIGHTPADDING", (0, 0), (-1, -1), 14),
            ("TOPPADDING", (0, 0), (-1, -1), 14),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 12),
        ]

    # -- pages ----------------------------------------------------------------------------

    def draw_running_header(self, canvas: Any, left: str, right: str) -> None:
        sheet = self.sheet
        strip = 30.0
        canvas.setFillColor(self.inks.accent)
        canvas.rect(0, sheet.page_height - strip, sheet.page_width, strip, stroke=0, fill=1)
        baseline = sheet.page_height - strip + 11
        on_accent = self.inks.on_accent
        draw_run(canvas, sheet.run(left, 9.5, on_accent, bold=True), sheet.margin, baseline)
        draw_run(
            canvas,
            sheet.run(right, 8.4, on_accent),
            sheet.page_width - sheet.margin,
            baseline,
            "right",
        )
