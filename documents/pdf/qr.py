"""The pay link's QR code as vector rectangles, crisp at any zoom and in print."""

from __future__ import annotations

from functools import lru_cache

import segno

QUIET_ZONE_MODULES = 2
"""Less than the standard four: the code sits in white space that the page leaves anyway."""


@lru_cache(maxsize=256)
def _dark_runs(url: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """The code's size in modules and its dark modules merged into horizontal runs
    (row, first column, length), so a code is a few hundred rectangles, not thousands."""
    code = segno.make(url, error="m", micro=False)
    matrix = code.matrix
    runs: list[tuple[int, int, int]] = []
    for row_index, row in enumerate(matrix):
        start = None
        for column, dark in enumerate((*row, 0)):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                runs.append((row_index, start, column - start))
                start = None
    return len(matrix), tuple(runs)


def qr_modules(url: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """`url`'s code: its width in modules including the quiet zone, and its dark runs
    (row, first column, length) counted from the top left of that zone."""
    modules, runs = _dark_runs(url)
    quiet = QUIET_ZONE_MODULES
    return modules + 2 * quiet, tuple((row + quiet, column + quiet, n) for row, column, n in runs)
