"""The Pelican push benchmark (benchmarks/pelican_push.py) on a small panel, so it cannot rot."""

from pathlib import Path
import subprocess
import sys

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_pelican_push_meets_its_goals(tmp_path: Path) -> None:
    """30 servers (six token-limit minutes' worth at once), 4 power actions: every goal met."""
    report = tmp_path / "benchmarks.md"
    # A child process: the benchmark runs its own event loop, whose clock leaps over idle time.
    command = [
        sys.executable, "-m", "benchmarks.pelican_push", "--servers", "30", "--actions", "4",
        "--output", str(report),
    ]  # fmt: skip
    completed = subprocess.run(  # noqa: S603
        command, cwd=REPO_ROOT, timeout=120, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    text = report.read_text()
    assert "<!-- pelican-push -->" in text
    assert "| 429 answers | 0 |" in text
    assert "NOT MET" not in text
