"""The soak (benchmarks/soak/): a simulated hour in CI, the simulated day with -m slow."""

import json
from pathlib import Path
import subprocess
import sys
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _soak(tmp_path: Path, hours: float, timeout: float) -> dict[str, Any]:
    """Run the soak command for `hours` simulated hours; return its JSON result."""
    result = tmp_path / "soak.json"
    # A child process: the soak runs its own event loop, with a clock that leaps over idle time.
    command = [
        sys.executable, "-m", "benchmarks.soak", "--hours", str(hours),
        "--no-report", "--json", str(result),
    ]  # fmt: skip
    completed = subprocess.run(  # noqa: S603
        command, cwd=REPO_ROOT, timeout=timeout, capture_output=True, text=True, check=False
    )
    assert result.exists(), completed.stdout[-3000:] + completed.stderr[-3000:]
    soak: dict[str, Any] = json.loads(result.read_text())
    # The exit status follows the checks; each is asserted below for a readable failure.
    assert completed.returncode == (0 if soak["passed"] else 1)
    return soak


def _assert_soak_passed(soak: dict[str, Any]) -> None:
    """Assert every check, showing what went wrong."""
    failures = [
        *soak["unhandled"],
        *soak["unexpected_errors"],
        *soak["wrong_states"],
        *soak["unannounced_backups"],
    ]
    for name, passed in soak["checks"].items():
        assert passed, f"{name}: {failures[:10]} {soak['trends']}"


def test_soak_simulated_hour(tmp_path: Path) -> None:
    """200 servers for a simulated hour of use and faults: nothing leaks, every state is right."""
    soak = _soak(tmp_path, hours=1, timeout=900)
    _assert_soak_passed(soak)
    assert soak["settings"]["servers"] == 200
    # The chaos really happened: faults, actions, servers replaced and pushed servers.
    assert sum(soak["events"].values()) >= 150
    assert soak["servers_added"] >= 1
    assert max(sample["pushed"] for sample in soak["samples"]) >= 140
    # Backups were taken and ended, schedules run, and both were read within the budget.
    assert soak["events"]["take_backup"] >= 1
    assert soak["events"]["run_schedule"] >= 1
    assert soak["backups_ended"] >= 1
    assert soak["requests_by_kind"]["backups"] >= 200
    assert soak["requests_by_kind"]["schedules"] >= 100


@pytest.mark.slow
def test_soak_simulated_day(tmp_path: Path) -> None:
    """The full soak: 200 servers for a simulated day."""
    _assert_soak_passed(_soak(tmp_path, hours=24, timeout=4 * 3600))
