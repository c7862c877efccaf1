"""Classic: a letterhead. Logo left, the practice's details right, a double rule, a serif
title, and a ruled table."""

from __future__ import annotations

from typing import Any

from documents.pdf.design import CellLook, Design, TableCommand, TableShape, TotalKind, meta_width
from documents.pdf.logo import draw_logo, fit
from documents.pdf.parts import Heading, Label, draw_stamp, draw_text_mark, stamp_size, turned_size
from documents.pdf.sheet import Run, draw_lines, draw_run, height_of

LOGO_BOX = (170.0, 62.0)
TOP_SPACE = 44.0
STAMP_DEGREES = -9.0


class Classic(Design):
    def _practice_runs(self, heading: Heading, width: float) -> list[Run]:
        sheet = self.sheet
        practice = heading.practice
        runs = sheet.wrap(sheet.run(practice.name, 15, serif=True, bold=True), width)
        for line in practice.lines:
            runs += sheet.wrap(sheet.run(line, 8.4, self.inks.muted), width)
        for line in practice.quiet_lines:
            runs += sheet.wrap(sheet.run(line, 7.8, self.inks.muted), width)
        return runs

    def _logo_size(self, heading: Heading) -> tuple[float, float]:
        if heading.logo is None:
            return 56.0, 56.0
        return fit(heading.logo, *LOGO_BOX)

    def _meta(self, heading: Heading) -> list[tuple[Run, Run]]:
        sheet = self.sheet
        rows = [heading.number, *heading.dates]
        return [
            (sheet.run(label, 8.2, self.inks.muted), sheet.run(value, 8.8)) for label, value in rows
        ]

    def _highlight(self, heading: Heading) -> tuple[Run, Run]:
        label, value = heading.highlight
        sheet = self.sheet
        return (
            sheet.run(label, 8.8, bold=True),
            sheet.run(value, 12.5, self.inks.accent, bold=True),
        )

    def _client_runs(self, heading: Heading, width: float) -> list[Run]:
        label = self.sheet.run(
            heading.client_label.upper(), 7.0, self.inks.accent, bold=True, char_space=1.1
        )
        return [label, *self.party_runs(heading.client, width, name_size=10.4)]

    def _title(self, heading: Heading) -> Run:
        return self.sheet.run(
            heading.title.upper(), 22, self.inks.accent, serif=True, bold=True, char_space=1.8
        )

    def _meta_box(self, heading: Heading) -> tuple[float, float]:
        rows = [*self._meta(heading), self._highlight(heading)]
        return meta_width(rows, 28), 11 + 15.5 * 2 + 23.5 + 10

    def masthead_height(self, heading: Heading, width: float) -> float:
        practice = height_of(self._practice_runs(heading, width * 0.56))
        row_one = max(self._logo_size(heading)[1], practice)
        left = (
            self._title(heading).leading + 12 + height_of(self._client_runs(heading, width * 0.5))
        )
        right = self._meta_box(heading)[1]
        return TOP_SPACE + row_one + 14 + 3.2 + 20 + max(left, right) + 18

    def draw_masthead(self, canvas: Any, heading: Heading, width: float, height: float) -> None:
        inks = self.inks
        top = height - TOP_SPACE
        logo_width, logo_height = self._logo_size(heading)
        if heading.logo is not None:
            draw_logo(canvas, heading.logo, 0, top - logo_height, logo_width)
        else:
            draw_text_mark(
                canvas,
                self.sheet,
                heading.text_mark,
                0,
                top - logo_height,
                logo_height,
                shape="circle",
                fill=inks.paper,
                ink=inks.accent,
                ring=inks.accent,
                serif=True,
            )
        practice = self._practice_runs(heading, width * 0.56)
        draw_lines(canvas, practice, width, top + 3, "right")

        rule = top - max(logo_height, height_of(practice)) - 14
        canvas.setStrokeColor(inks.accent)
        canvas.setLineWidth(1.5)
        canvas.line(0, rule, width, rule)
        canvas.setLineWidth(0.5)
        canvas.line(0, rule - 3.2, width, rule - 3.2)

        row_top = rule - 3.2 - 20
        title = self._title(heading)
        title_baseline = row_top - title.size * 0.86
        draw_run(canvas, title, 0, title_baseline)
        draw_lines(canvas, self._client_runs(heading, width * 0.5), 0, row_top - title.leading - 12)

        meta_w, _ = self._meta_box(heading)
        left = width - meta_w
        y = row_top - 11
        for label, value in self._meta(heading):
            draw_run(canvas, label, left, y)
            draw_run(canvas, value, width, y, "right")
            y -= 15.5
        label, value = self._highlight(heading)
        baseline = y + 15.5 - 23.5
        canvas.setFillColor(inks.tint)
        canvas.rect(left - 10, baseline - 10, meta_w + 10, 28, stroke=0, fill=1)
        canvas.setStrokeColor(inks.accent)
        canvas.setLineWidth(0.9)
        canvas.line(left - 10, baseline + 18, width, baseline + 18)
        draw_run(canvas, label, left - 2, baseline + 1)
        draw_run(canvas, value, width - 6, baseline, "right")

        # The stamp sits in the free space between the title and the dates.
        room = left - 16 - (title.width + 18)
        size = 12.0
        while (
            size > 8
            and turned_size(*stamp_size(self.sheet, heading.stamp, size), STAMP_DEGREES)[0] > room
        ):
            size -= 0.5
        stamp_width = turned_size(*stamp_size(self.sheet, heading.stamp, size), STAMP_DEGREES)[0]
        draw_stamp(
            canvas,
            self.sheet,
            heading.stamp,
            title.width + 18 + stamp_width / 2,
            title_baseline + title.size * 0.3,
            size=size,
            degrees=STAMP_DEGREES,
        )

    # -- table ----------------------------------------------------------------------------

    def header_cell(self, text: str, align: str) -> Any:
        return Label(
            self.sheet.run(text.upper(), 7.0, self.inks.accent, bold=True, char_space=0.9), align
        )

    def total_look(self, kind: TotalKind) -> CellLook:
        look = super().total_look(kind)
        if kind is TotalKind.BALANCE:
            return CellLook(look.font, look.size, self.inks.accent)
        return look

    def table_commands(self, shape: TableShape) -> list[TableCommand]:
        inks = self.inks
        commands: list[TableCommand] = [
            ("LINEABOVE", (0, 0), (-1, 0), 1.2, inks.accent),
            ("LINEBELOW", (0, 0), (-1, 0), 0.7, inks.accent),
            ("TOPPADDING", (0, 0), (-1, 0), 6),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 5),
        ]
        if shape.line_rows:
            commands.append(("LINEBELOW", (0, 1), (-1, shape.line_rows), 0.35, inks.rule))
            commands.append(
                ("LINEBELOW", (0, shape.line_rows), (-1, shape.line_rows), 0.7, inks.accent)
            )
        commands.append(("TOPPADDING", (0, shape.first_total), (-1, shape.first_total), 9))
        for row in shape.row_of(TotalKind.TOTAL):
            commands.append(("LINEABOVE", (3, row), (-1, row), 0.7, inks.ink))
        for row in shape.row_of(TotalKind.BALANCE):
            commands += [
                ("LINEABOVE", (3, row), (-1, row), 0.7, inks.accent),
                ("LINEBELOW", (3, row), (-1, row), 0.7, inks.accent, None, None, None, 2, 1.6),
                ("TOPPADDING", (0, row), (-1, row), 6),
                ("BOTTOMPADDING", (0, row), (-1, row), 6),
            ]
        return commands

    def section_label(self, text: str) -> Any:
        return Label(self.sheet.run(text, 10, self.inks.accent, serif=True, bold=True))

    # -- pages ----------------------------------------------------------------------------

    def draw_running_header(self, canvas: Any, left: str, right: str) -> None:
        sheet = self.sheet
        baseline = sheet.page_height - 40
        draw_run(canvas, sheet.run(left, 10, serif=True, bold=True), sheet.margin, baseline)
        draw_run(
            canvas,
            sheet.run(right, 8.2, self.inks.muted),
            sheet.page_width - sheet.margin,
            baseline,
            "right",
        )
        canvas.setStrokeColor(self.inks.accent)
        canvas.setLineWidth(0.9)
        canvas.line(sheet.margin, baseline - 9, sheet.page_width - sheet.margin, baseline - 9)
