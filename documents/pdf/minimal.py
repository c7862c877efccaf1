"""Minimal: white space, a light title, small-capital labels and hairline rules; colour only
in the logo's stand-in and the amount due."""

from __future__ import annotations

from typing import Any

from documents.pdf.design import CellLook, Design, TableCommand, TableShape, TotalKind
from documents.pdf.logo import draw_logo, fit
from documents.pdf.parts import Heading, Label, draw_stamp, draw_text_mark, stamp_size
from documents.pdf.sheet import Run, draw_lines, draw_run, height_of

LOGO_BOX = (140.0, 44.0)
TEXT_MARK = 40.0
TOP_SPACE = 54.0
HAIRLINE = 0.4
STAMP_SIZE = 8.5


class Minimal(Design):
    row_padding = 6.5
    running_header_height = 70.0

    def small_caps(self, text: str, colour: Any = None) -> Run:
        return self.sheet.run(text.upper(), 6.6, colour or self.inks.muted, char_space=1.4)

    def _logo_size(self, heading: Heading) -> tuple[float, float]:
        if heading.logo is None:
            return TEXT_MARK, TEXT_MARK
        return fit(heading.logo, *LOGO_BOX)

    def _title(self, heading: Heading) -> Run:
        return self.sheet.run(heading.title, 26, char_space=0.4)

    def _meta(self, heading: Heading) -> list[tuple[Run, Run]]:
        sheet = self.sheet
        label, value = heading.highlight
        return [
            *(
                (self.small_caps(name), sheet.run(text, 9.4))
                for name, text in (heading.number, *heading.dates)
            ),
            (self.small_caps(label), sheet.run(value, 9.4, self.inks.accent, bold=True)),
        ]

    def _parties(self, heading: Heading, width: float) -> tuple[list[Run], list[Run]]:
        practice = [
            self.small_caps("From"),
            *self.party_runs(heading.practice, width, name_size=9.6),
        ]
        client = [
            self.small_caps(heading.client_label),
            *self.party_runs(heading.client, width, name_size=9.6),
        ]
        return practice, client

    def _meta_height(self, heading: Heading, column: float) -> float:
        sheet = self.sheet
        return max(
            label.leading + height_of(sheet.wrap(value, column - 10))
            for label, value in self._meta(heading)
        )

    def masthead_height(self, heading: Heading, width: float) -> float:
        column = width / 4
        practice, client = self._parties(heading, width / 2 - 20)
        return (
            TOP_SPACE
            + self._logo_size(heading)[1]
            + 34
            + self._title(heading).leading
            + 22
            + self._meta_height(heading, column)
            + 18
            + 20
            + max(height_of(practice), height_of(client))
            + 34
        )

    def draw_masthead(self, canvas: Any, heading: Heading, width: float, height: float) -> None:
        inks = self.inks
        sheet = self.sheet
        top = height - TOP_SPACE
        logo_width, logo_height = self._logo_size(heading)
        if heading.logo is not None:
            draw_logo(canvas, heading.logo, 0, top - logo_height, logo_width)
        else:
            draw_text_mark(
                canvas,
                sheet,
                heading.text_mark,
                0,
                top - logo_height,
                logo_height,
                shape="square",
                fill=inks.tint,
                ink=inks.accent,
            )

        title = self._title(heading)
        title_top = top - logo_height - 34
        baseline = title_top - title.size * 0.86
        draw_run(canvas, title, 0, baseline)
        if heading.stamp.value:
            stamp_width, _ = stamp_size(sheet, heading.stamp, STAMP_SIZE)
            draw_stamp(
                canvas,
                sheet,
                heading.stamp,
                title.width + 16 + stamp_width / 2,
                baseline + title.size * 0.34,
                size=STAMP_SIZE,
                double=False,
            )

        column = width / 4
        meta_top = title_top - title.leading - 22
        for index, (label, value) in enumerate(self._meta(heading)):
            x = index * column
            draw_lines(canvas, [label, *sheet.wrap(value, column - 10)], x, meta_top)
        rule = meta_top - self._meta_height(heading, column) - 18
        canvas.setStrokeColor(inks.rule)
        canvas.setLineWidth(HAIRLINE)
        canvas.line(0, rule, width, rule)

        practice, client = self._parties(heading, width / 2 - 20)
        draw_lines(canvas, practice, 0, rule - 20)
        draw_lines(canvas, client, width / 2, rule - 20)

    # -- table ----------------------------------------------------------------------------

    def header_cell(self, text: str, align: str) -> Any:
        return Label(self.small_caps(text), align)

    def total_look(self, kind: TotalKind) -> CellLook:
        look = super().total_look(kind)
        if kind is TotalKind.BALANCE:
            return CellLook(look.font, look.size, self.inks.accent)
        return look

    def table_commands(self, shape: TableShape) -> list[TableCommand]:
        inks = self.inks
        commands: list[TableCommand] = [
            ("LINEBELOW", (0, 0), (-1, 0), HAIRLINE, inks.ink),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 7),
        ]
        if shape.line_rows:
            commands.append(("LINEBELOW", (0, 1), (-1, shape.line_rows), 0.25, inks.rule))
        commands.append(("TOPPADDING", (0, shape.first_total), (-1, shape.first_total), 12))
        for row in shape.row_of(TotalKind.TOTAL):
            commands.append(("LINEABOVE", (3, row), (-1, row), HAIRLINE, inks.ink))
        for row in shape.row_of(TotalKind.BALANCE):
            commands += [
                ("LINEABOVE", (3, row), (-1, row), HAIRLINE, inks.rule),
                ("TOPPADDING", (0, row), (-1, row), 7),
            ]
        return commands

    def section_label(self, text: str) -> Any:
        return Label(self.small_caps(text))

    def panel_commands(self, rows: int) -> list[TableCommand]:
        return [
            ("LINEABOVE", (0, 0), (-1, 0), HAIRLINE, self.inks.rule),
            ("LEFTPADDING", (0, 0), (0, -1), 0),
            ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 14),
        ]

    # -- pages ----------------------------------------------------------------------------

    def draw_running_header(self, canvas: Any, left: str, right: str) -> None:
        sheet = self.sheet
        baseline = sheet.page_height - 44
        draw_run(canvas, self.small_caps(left), sheet.margin, baseline)
        run = self.small_caps(right)
        draw_run(canvas, run, sheet.page_width - sheet.margin + run.char_space, baseline, "right")
        canvas.setStrokeColor(self.inks.rule)
        canvas.setLineWidth(HAIRLINE)
        canvas.line(sheet.margin, baseline - 10, sheet.page_width - sheet.margin, baseline - 10)

    def draw_footer(self, canvas: Any) -> None:
        sheet = self.sheet
        draw_lines(canvas, self.footer, sheet.margin, self.footer_top)
