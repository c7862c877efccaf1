"""Each invoice theme keeps its text readable (WCAG AA) wherever the designs set text."""

import pytest

from documents.themes import PALETTES, STAMP_COLOURS, contrast_ratio
from domain.practice import InvoiceTheme


def test_every_theme_has_a_palette() -> None:
    assert set(PALETTES) == set(InvoiceTheme)


@pytest.mark.parametrize("theme", list(InvoiceTheme))
def test_text_reaches_aa_contrast(theme: InvoiceTheme) -> None:
    colours = PALETTES[theme]
    assert contrast_ratio(colours.ink, colours.paper) >= 4.5
    assert contrast_ratio(colours.muted, colours.paper) >= 4.5
    assert contrast_ratio(colours.ink, colours.tint) >= 4.5
    assert contrast_ratio(colours.muted, colours.tint) >= 4.5
    assert contrast_ratio(colours.on_accent, colours.accent) >= 4.5
    assert contrast_ratio(colours.accent, colours.paper) >= 4.5


def test_contrast_ratio_matches_wcag_extremes() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)


@pytest.mark.parametrize("stamp", sorted(STAMP_COLOURS))
def test_every_stamp_reads_on_the_paper(stamp: str) -> None:
    assert contrast_ratio(STAMP_COLOURS[stamp], "#ffffff") >= 4.5
