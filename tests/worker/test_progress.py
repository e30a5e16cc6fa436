"""The worker's progress line: counts, rates, and a bar when the total is known."""

from konsent.cli.worker import ProgressLine
from konsent.worker.loop import Stats


def stats(**counts) -> Stats:
    return Stats(started=0.0, **counts)


def test_with_a_total_the_line_shows_a_bar_and_what_became_of_the_rows():
    line = ProgressLine(total=200).text(stats(sent=90, withheld=8, failed=1, retrying=1))
    assert line.startswith("[##########..........] 100/200  sent 90 · withheld 8 · failed 1 · retry later 1")
    assert "/s sent" in line


def test_without_a_total_there_is_no_bar_and_take_overs_are_named():
    line = ProgressLine(total=None).text(stats(sent=5, taken_over=2))
    assert line.startswith("sent 5 · withheld 0 · failed 0 · retry later 0 · taken over 2  (")
