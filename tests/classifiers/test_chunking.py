"""Windows over long text: every character covered, bounded size, overlap at the cuts."""

from classifiers.chunking import windows


def test_short_text_is_one_window() -> None:
    assert windows("hello there") == [(0, "hello there")]
    assert windows("") == [(0, "")]


def test_long_text_is_covered_by_bounded_overlapping_windows() -> None:
    text = " ".join(f"word{i}" for i in range(3000))
    pieces = windows(text, size=400, overlap=80)
    covered = set()
    for start, piece in pieces:
        assert text[start : start + len(piece)] == piece
        assert len(piece) <= 400
        covered.update(range(start, start + len(piece)))
    assert covered == set(range(len(text)))
    starts = [s for s, _ in pieces]
    ends = [s + len(p) for s, p in pieces]
    assert all(nxt < end for nxt, end in zip(starts[1:], ends, strict=False))


def test_text_without_spaces_is_still_cut() -> None:
    pieces = windows("x" * 1000, size=400, overlap=80)
    assert max(len(p) for _, p in pieces) == 400
    assert pieces[-1][0] + len(pieces[-1][1]) == 1000
