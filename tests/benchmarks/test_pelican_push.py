"""The Pelican push benchmark (benchmarks/pelican_push.py) on a small panel, so it cannot rot."""

from pathlib import Path

from .common import run_report


def test_pelican_push_meets_its_goals(tmp_path: Path) -> None:
    """30 servers (six token-limit minutes' worth at once), 4 power actions: every goal met."""
    text = run_report(tmp_path, "benchmarks.pelican_push", "--servers", "30", "--actions", "4")
    assert "<!-- pelican-push -->" in text
    assert "| 429 answers | 0 |" in text
    assert "NOT MET" not in text
