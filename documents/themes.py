"""The colour palettes an invoice can wear, one source for the page's CSS and the PDF.

Every palette keeps text readable: body ink and muted text reach WCAG AA (4.5:1) on the
paper, and text set on the accent band (`on_accent`) reaches it on the accent."""

from __future__ import annotations

from dataclasses import dataclass

from domain.practice import InvoiceTheme


@dataclass(frozen=True, slots=True)
class Palette:
    accent: str
    """Headings, the table header band and rules."""
    on_accent: str
    """Text set on the accent colour."""
    tint: str
    """A light wash of the accent for alternate rows and the totals box."""
    ink: str
    muted: str
    rule: str
    paper: str = "#ffffff"


PALETTES: dict[InvoiceTheme, Palette] = {
    InvoiceTheme.SLATE: Palette(
        accent="#334155",
        on_accent="#ffffff",
        tint="#f1f5f9",
        ink="#0f172a",
        muted="#475569",
        rule="#cbd5e1",
    ),
    InvoiceTheme.OCEAN: Palette(
        accent="#0b5c8a",
        on_accent="#ffffff",
        tint="#e8f3fa",
        ink="#0c1b26",
        muted="#4a5d6b",
        rule="#b9d5e6",
    ),
    InvoiceTheme.FOREST: Palette(
        accent="#1f6b45",
        on_accent="#ffffff",
        tint="#ebf5ef",
        ink="#10231a",
        muted="#4b5e54",
        rule="#bcd9c8",
    ),
    InvoiceTheme.PLUM: Palette(
        accent="#6b2d6e",
        on_accent="#ffffff",
        tint="#f5ecf5",
        ink="#221224",
        muted="#5e4d5f",
        rule="#dcc3dc",
    ),
    InvoiceTheme.SUNSET: Palette(
        accent="#a8431b",
        on_accent="#ffffff",
        tint="#fcefe8",
        ink="#2a140b",
        muted="#6a4f44",
        rule="#efc9b8",
    ),
}


def palette(theme: InvoiceTheme) -> Palette:
    return PALETTES[theme]


def _channel(value: int) -> float:
    scaled = value / 255
    return scaled / 12.92 if scaled <= 0.03928 else ((scaled + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    red, green, blue = (int(colour[index : index + 2], 16) for index in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2's contrast ratio of two `#rrggbb` colours, from 1 to 21."""
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


STAMP_COLOURS: dict[str, str] = {
    "PAID": "#1a7f37",
    "VOID": "#57606a",
    "OVERDUE": "#b42318",
    "DRAFT": "#6e5a00",
}
"""The PAID / VOID / OVERDUE (and, on a draft's PDF, DRAFT) stamp's ink, the same in every
theme so that the state reads the same on every practice's invoices; each reaches AA contrast
on the paper."""
