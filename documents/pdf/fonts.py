"""The typefaces invoice PDFs are set in, found once per process.

DejaVu Sans and Serif draw Latin, Greek and Cyrillic names and every currency sign Babel
writes for a practice's locale (€, £, ₹, ₩, zł, the narrow no-break space of fr_FR
grouping). No well-kept pip package ships them, so they are taken from the system (Debian's
fonts-dejavu-core, found where fontconfig or the usual folders say). Without them the PDF
falls back to Bitstream Vera, DejaVu's parent, which the reportlab wheel ships: it still
draws €, £ and accented Latin names (Zoë, Łukasz, Müller), and the few signs it lacks are
replaced by their nearest equivalent (see `printable`).
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import reportlab
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

_SYSTEM_FONT_FOLDERS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)
_VERA = Path(reportlab.__file__).parent / "fonts"
# The space Babel puts between a French amount's thousands; Vera lacks it.
_NARROW_NO_BREAK_SPACE = "\u202f"


@dataclass(frozen=True, slots=True)
class Typefaces:
    """Registered reportlab font names: text (sans), and headings where a design wants serif."""

    sans: str
    sans_bold: str
    serif: str
    serif_bold: str
    origin: str
    """Where the fonts came from, for the benchmark's and the tests' notes."""


def _fc_match(file_name: str, family: str, style: str) -> Path | None:
    binary = shutil.which("fc-match")
    if binary is None:
        return None
    try:
        # A fixed argument list naming a font, not input from a request.
        found = subprocess.run(  # noqa: S603
            [binary, "--format=%{file}", f"{family}:style={style}"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    # fc-match always answers with some font; only the one asked for will do.
    path = Path(found)
    return path if path.name == file_name and path.is_file() else None


def _font_folders() -> list[Path]:
    try:
        home = Path.home()
    except RuntimeError:  # no home directory (a service account without one)
        return list(_SYSTEM_FONT_FOLDERS)
    return [*_SYSTEM_FONT_FOLDERS, home / ".fonts", home / ".local/share/fonts"]


def _find(file_name: str, family: str, style: str) -> Path | None:
    folders = _font_folders()
    for folder in folders:
        direct = folder / "truetype" / "dejavu" / file_name
        if direct.is_file():
            return direct
    matched = _fc_match(file_name, family, style)
    if matched:
        return matched
    for folder in folders:
        if folder.is_dir():
            for candidate in folder.rglob(file_name):
                return candidate
    return None


def _register(name: str, path: Path) -> str:
    pdfmetrics.registerFont(TTFont(name, str(path)))
    return name


def _family(regular: str, bold: str) -> None:
    # So that <b> in a Paragraph picks the bold face of the same family.
    addMapping(regular, 0, 0, regular)
    addMapping(regular, 1, 0, bold)
    addMapping(regular, 0, 1, regular)
    addMapping(regular, 1, 1, bold)


@cache
def typefaces() -> Typefaces:
    """DejaVu from the system if it is there, else the reportlab wheel's Vera; registered once."""
    files = {
        "sans": _find("DejaVuSans.ttf", "DejaVu Sans", "Book"),
        "sans_bold": _find("DejaVuSans-Bold.ttf", "DejaVu Sans", "Bold"),
        "serif": _find("DejaVuSerif.ttf", "DejaVu Serif", "Book"),
        "serif_bold": _find("DejaVuSerif-Bold.ttf", "DejaVu Serif", "Bold"),
    }
    if files["sans"] and files["sans_bold"]:
        sans = _register("BB-Sans", files["sans"])
        sans_bold = _register("BB-Sans-Bold", files["sans_bold"])
        origin = f"DejaVu ({files['sans'].parent})"
    else:
        sans = _register("BB-Sans", _VERA / "Vera.ttf")
        sans_bold = _register("BB-Sans-Bold", _VERA / "VeraBd.ttf")
        origin = "Bitstream Vera (reportlab's own; DejaVu not found)"
    _family(sans, sans_bold)
    if files["serif"] and files["serif_bold"]:
        serif = _register("BB-Serif", files["serif"])
        serif_bold = _register("BB-Serif-Bold", files["serif_bold"])
        _family(serif, serif_bold)
    else:
        serif, serif_bold = sans, sans_bold
    return Typefaces(sans, sans_bold, serif, serif_bold, origin)


def _covers(font_name: str, char: str) -> bool:
    font = pdfmetrics.getFont(font_name)
    return ord(char) in font.face.charToGlyph or char in "\n\t"


@lru_cache(maxsize=8192)
def printable(text: str, font_name: str) -> str:
    """`text` with each character `font_name` cannot draw replaced by its compatibility form
    when the font has that (￥ as ¥, a narrow no-break space as a no-break space); characters
    with no such form are left for the viewer's missing-glyph box."""
    if all(_covers(font_name, char) for char in text):
        return text
    out = []
    for char in text:
        if _covers(font_name, char):
            out.append(char)
        elif char == _NARROW_NO_BREAK_SPACE and _covers(font_name, "\u00a0"):
            out.append("\u00a0")
        else:
            folded = unicodedata.normalize("NFKC", char)
            out.append(folded if all(_covers(font_name, c) for c in folded) else char)
    return "".join(out)
