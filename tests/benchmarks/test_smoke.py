"""A tiny benchmark of our integration alone, so the harness cannot rot (no py-dactyl needed)."""

from pathlib import Path

from .common import run_report


def test_benchmark_runs_ours(tmp_path: Path) -> None:
    """Three servers, two refreshes and one power action, through the real command line."""
    text = run_report(
        tmp_path,
        "benchmarks",
        *("--only", "ours", "--servers", "3", "--refreshes", "2", "--power-trials", "1"),
        *("--power-spread", "0.2", "--panel-cache-seconds", "0", "--push-window", "0"),
    )
    assert "| 3 | API requests per refresh | 3 | - | - |" in text
    assert "| 3 | power action to running shown" in text
    assert "none within the cap" not in text
    assert "## Machine" in text
