"""A practice's logo sits in the invoice's heading at its own proportions, whatever its shape
or format; without one, the practice's initials stand in for it."""

from __future__ import annotations

import pytest

from documents.model import invoice_document
from documents.pdf import invoice_pdf
from domain.logos import Logo, check_logo
from domain.practice import InvoiceTemplate
from pdf_scenarios import (
    SVG,
    TODAY,
    a_client,
    a_line,
    a_practice,
    an_invoice,
    jpeg,
    page_texts,
    placements,
    png,
)

# The largest box any design gives a logo (Classic's), and the band of the page it sits in.
LARGEST_LOGO = (170.0, 62.0)
HEADING_DEPTH = 150.0


LOGOS = {
    "transparent PNG": (check_logo("logo.png", png(600, 300, transparent=True)), 2.0),
    "8:1 PNG": (check_logo("wide.png", png(1600, 200, transparent=False)), 8.0),
    "1:4 PNG": (check_logo("tall.png", png(200, 800, transparent=True)), 0.25),
    "JPEG": (check_logo("logo.jpg", jpeg(300, 200)), 1.5),
    "SVG": (check_logo("logo.svg", SVG), 3.0),
}


def render(template: InvoiceTemplate, logo: Logo | None) -> bytes:
    practice = a_practice(template, name="Harbour Therapy Group")
    invoice = an_invoice(practice, [a_line(practice, 1)])
    return invoice_pdf(invoice_document(practice, invoice, a_client(practice), TODAY), logo)


@pytest.mark.parametrize("template", list(InvoiceTemplate))
@pytest.mark.parametrize("kind", list(LOGOS))
def test_the_logo_sits_in_the_heading_at_its_own_proportions(
    template: InvoiceTemplate, kind: str
) -> None:
    logo, aspect = LOGOS[kind]

    pdf = render(template, logo)

    drawn = placements(pdf)
    assert len(drawn) == 1
    place = drawn[0]
    assert place.width / place.height == pytest.approx(aspect, rel=0.02)
    assert place.width <= LARGEST_LOGO[0] + 0.01
    assert place.height <= LARGEST_LOGO[1] + 0.01
    assert place.x >= 40
    assert place.y + place.height <= 792 - 30  # below the paper's top margin
    assert place.y >= 792 - HEADING_DEPTH
    assert "HTG" not in page_texts(pdf)[0]


@pytest.mark.parametrize("template", list(InvoiceTemplate))
def test_without_a_logo_the_practice_initials_stand_in(template: InvoiceTemplate) -> None:
    pdf = render(template, None)

    assert placements(pdf) == []
    assert "HTG" in page_texts(pdf)[0]


@pytest.mark.parametrize("template", list(InvoiceTemplate))
def test_an_unreadable_logo_falls_back_to_the_initials(template: InvoiceTemplate) -> None:
    broken = Logo("image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'><rect")

    pdf = render(template, broken)

    assert placements(pdf) == []
    assert "HTG" in page_texts(pdf)[0]
