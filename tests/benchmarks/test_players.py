"""The player-query benchmark (benchmarks/players.py) on a small panel, so it cannot rot."""

from pathlib import Path
import subprocess
import sys

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_player_queries_meet_their_goals(tmp_path: Path) -> None:
    """20 running game servers of every protocol, 3 rounds: every game answers every round."""
    report = tmp_path / "benchmarks.md"
    # A child process: the benchmark starts Home Assistant and the simulator's own process.
    command = [
        sys.executable, "-m", "benchmarks.players", "--servers", "20", "--rounds", "3",
        "--output", str(report),
    ]  # fmt: skip
    completed = subprocess.run(  # noqa: S603
        command, cwd=REPO_ROOT, timeout=120, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    text = report.read_text()
    assert "<!-- players -->" in text
    assert "| game servers asked (all running) | 20 |" in text
    # 8 players on each game, every one of them reported.
    assert "| players reported per round | 160 |" in text
    assert "NOT MET" not in text
