"""The text helpers every front end keeps its limits with: clip, pack and chunks."""

from __future__ import annotations

from bot.text_limits import chunks, clip, pack


def test_clip_leaves_short_text_and_ends_cut_text_in_an_ellipsis():
    assert clip("Report", 6) == "Report"
    assert clip("Report a concern", 6) == "Repor…"


def test_pack_joins_lines_into_as_few_texts_as_the_limit_allows():
    assert pack(["aaaa", "bbbb", "cccc"], 9, max_blocks=5) == ["aaaa\nbbbb", "cccc"]


def test_pack_clips_a_line_too_long_alone():
    assert pack(["a" * 12], 10, max_blocks=1) == ["a" * 9 + "…"]


def test_pack_counts_what_is_left_out_in_its_last_line():
    lines = [f"line {n}" for n in range(10)]
    texts = pack(lines, 20, max_blocks=2)
    assert len(texts) == 2 and all(len(t) <= 20 for t in texts)
    shown = sum(t.count("line ") for t in texts)
    assert texts[-1].endswith(f"…and {len(lines) - shown} more")


def test_chunks_cuts_items_into_runs_of_at_most_size():
    assert [list(run) for run in chunks(list(range(7)), 3)] == [[0, 1, 2], [3, 4, 5], [6]]
