"""Long text is assessed in overlapping windows, so all of it counts and time stays linear.

A window is at most `size` characters of the original text, cut at whitespace where possible;
consecutive windows overlap by `overlap` characters so a phrase cut by one boundary is whole in
the next window. Short texts are one window.
"""

from __future__ import annotations

WINDOW = 120
OVERLAP = 40


def windows(text: str, size: int = WINDOW, overlap: int = OVERLAP) -> list[tuple[int, str]]:
    """`(start, piece)` pairs covering `text` (one pair for text up to `size` characters)."""
    if len(text) <= size:
        return [(0, text)]
    result: list[tuple[int, str]] = []
    start = 0
    while True:
        end = start + size
        if end >= len(text):
            result.append((start, text[start:]))
            return result
        cut = text.rfind(" ", start + size // 2, end)
        cut = end if cut == -1 else cut
        result.append((start, text[start:cut]))
        following = cut - overlap
        space = text.find(" ", following, cut)
        start = following if space == -1 else space + 1
