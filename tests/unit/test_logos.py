"""Logos are checked by their content, whatever their name says."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValue
from domain.logos import MAX_LOGO_BYTES, check_logo

PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)
JPEG = b"\xff\xd8\xff\xe0" + bytes(100)
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10"></svg>'


@pytest.mark.parametrize(
    ("content", "kind"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (SVG, "image/svg+xml")]
)
def test_png_jpeg_and_svg_logos_are_accepted(content: bytes, kind: str) -> None:
    assert check_logo("logo", content).content_type == kind


def test_a_pdf_renamed_to_png_is_refused() -> None:
    with pytest.raises(InvalidValue, match="not a PNG, JPEG or SVG"):
        check_logo("logo.png", b"%PDF-1.7\n" + bytes(100))


def test_a_logo_over_one_megabyte_is_refused_with_its_size() -> None:
    with pytest.raises(InvalidValue, match="under 1 MB"):
        check_logo("big.png", PNG + bytes(MAX_LOGO_BYTES))


def test_an_svg_with_script_is_refused() -> None:
    with pytest.raises(InvalidValue, match="script"):
        check_logo("x.svg", SVG.replace(b"></svg>", b"><script>alert(1)</script></svg>"))
