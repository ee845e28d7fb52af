"""The player-query benchmark (benchmarks/players.py) on a small panel, so it cannot rot."""

from pathlib import Path

from .common import run_report


def test_player_queries_meet_their_goals(tmp_path: Path) -> None:
    """20 running game servers of every protocol, 3 rounds: every game answers every round."""
    text = run_report(tmp_path, "benchmarks.players", "--servers", "20", "--rounds", "3")
    assert "<!-- players -->" in text
    assert "| game servers asked (all running) | 20 |" in text
    # 8 players on each game, every one of them reported.
    assert "| players reported per round | 160 |" in text
    assert "NOT MET" not in text
