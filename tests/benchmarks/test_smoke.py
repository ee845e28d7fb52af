"""A tiny benchmark of our integration alone, so the harness cannot rot (no py-dactyl needed)."""

from pathlib import Path
import subprocess
import sys

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_runs_ours(tmp_path: Path) -> None:
    """Three servers, two refreshes and one power action, through the real command line."""
    report = tmp_path / "benchmarks.md"
    # A child process: Home Assistant and the simulator's own process must not share the test's
    # event loop or its socket guard.
    command = [
        sys.executable, "-m", "benchmarks", "--only", "ours", "--servers", "3",
        "--refreshes", "2", "--power-trials", "1", "--power-spread", "0.2",
        "--panel-cache-seconds", "0", "--push-window", "0", "--output", str(report),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=REPO_ROOT, timeout=120)  # noqa: S603
    text = report.read_text()
    assert "| 3 | API requests per refresh | 3 | - | - |" in text
    assert "| 3 | power action to Status binary sensor on" in text
    assert "none within the cap" not in text
    assert "## Machine" in text
