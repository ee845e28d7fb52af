"""Running a benchmark's command as scripts/bench* do, in a child process."""

from pathlib import Path
import subprocess
import sys

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_report(tmp_path: Path, module: str, *arguments: str) -> str:
    """Run `python -m module arguments --output …`; return the report, failing on a bad exit.

    A child process: a benchmark runs its own event loop (one whose clock leaps over idle time,
    or Home Assistant's with the simulator's own process), not the test's.
    """
    report = tmp_path / "benchmarks.md"
    command = [sys.executable, "-m", module, *arguments, "--output", str(report)]
    completed = subprocess.run(  # noqa: S603
        command, cwd=REPO_ROOT, timeout=120, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return report.read_text()
