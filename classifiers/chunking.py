"""Long text is assessed in overlapping windows, so all of it counts and time stays linear.

A window is at most `size` characters of the original text, cut at whitespace where possible;
consecutive windows overlap by `overlap` characters so a phrase cut by one boundary is whole in
the next window. Short texts are one window.
"""

from __future__ import annotations

# Chosen on out-of-fold F1 over train+dev (abusive vs acceptable at 2.5 % false flags), three
# fold assignments, corpus of session 4: 120/40 gave 0.783, 0.764, 0.794; 200/60 gave 0.818,
# 0.822, 0.827 (extreme recall 0.55-0.61 -> 0.68-0.72); 160/50 0.783, 240/80 0.794, 300/100
# 0.799. A wider window keeps the words that say who is speaking (a report, a quote) beside
# the abuse they frame.
WINDOW = 200
OVERLAP = 60


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
