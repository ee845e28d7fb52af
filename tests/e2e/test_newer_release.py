"""A newer Home Assistant release than the pinned one runs the integration without a complaint.

scripts/test makes that release's environment (NEWER_HA in scripts/_env.sh, as
`scripts/develop --ha` starts it) and names its interpreter in PTERODACTYL_HA_NEWER_PYTHON.
"""

from collections.abc import AsyncIterator
import os
from pathlib import Path
import re

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as pinned_version
import pytest

from custom_components.pterodactyl.const import DOMAIN
from scripts.ha_client import HomeAssistantClient
from tests.e2e.conftest import Stack, client_of, running_stack
from tests.e2e.test_home_assistant import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

NEWER_PYTHON = os.environ.get("PTERODACTYL_HA_NEWER_PYTHON", "")
NEWER_PYTHON_FOUND = Path(NEWER_PYTHON).is_file()
# A log record starts with its time stamp; the lines up to the next one (a traceback) are its own.
RECORD_START = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\S* (?P<level>[A-Z]+) ", re.MULTILINE
)
# What Home Assistant says of every custom integration: no complaint about this one.
CUSTOM_INTEGRATION_NOTICE = "We found a custom integration pterodactyl which has not been tested"


@pytest.fixture
async def newer(tmp_path: Path) -> AsyncIterator[Stack]:
    """Start the newer release against the simulator, with the integration set up."""
    if not NEWER_PYTHON_FOUND:
        reason = "no PTERODACTYL_HA_NEWER_PYTHON: scripts/test makes that release's environment"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    async with running_stack(tmp_path, NEWER_PYTHON) as running:
        yield running


def complaints(log: str) -> list[str]:
    """Return the log's warnings and errors (with their tracebacks) that mention the integration."""
    starts = list(RECORD_START.finditer(log))
    records = [
        (start.group("level"), log[start.start() : end.start() if end else len(log)])
        for start, end in zip(starts, [*starts[1:], None], strict=True)
    ]
    return [
        text
        for level, text in records
        if level in ("WARNING", "ERROR", "CRITICAL")
        and DOMAIN in text.lower()
        and CUSTOM_INTEGRATION_NOTICE not in text
    ]


def test_complaints_reads_records_whole() -> None:
    """A traceback that passes through the integration counts, the custom integration notice not."""
    log = (
        "2026-11-04 10:00:00.001+00:00 WARNING (SyncWorker_0) [homeassistant.loader] "
        f"{CUSTOM_INTEGRATION_NOTICE} by Home Assistant.\n"
        "2026-11-04 10:00:00.002+00:00 ERROR (MainThread) [homeassistant.core] Error doing job\n"
        "Traceback (most recent call last):\n"
        '  File "/config/custom_components/pterodactyl/switch.py", line 1, in turn_on\n'
        "2026-11-04 10:00:00.003+00:00 INFO (MainThread) [custom_components.pterodactyl] Up\n"
        "2026-11-04 10:00:00.004+00:00 WARNING (MainThread) [homeassistant.components.http] Slow\n"
    )
    traceback = (
        "2026-11-04 10:00:00.002+00:00 ERROR (MainThread) [homeassistant.core] Error doing job\n"
        "Traceback (most recent call last):\n"
        '  File "/config/custom_components/pterodactyl/switch.py", line 1, in turn_on\n'
    )
    assert complaints(log) == [traceback]


async def entry_state(client: HomeAssistantClient, entry_id: str) -> str:
    """Return the config entry's state."""
    entries = await client.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    return str(next(e["state"] for e in entries if e["entry_id"] == entry_id))


async def test_newer_release_runs_the_integration_quietly(newer: Stack) -> None:
    """The newer release sets the entry up, reloads it, and logs no complaint about it."""
    async with client_of(newer) as ha:
        version = (await ha.call("GET", "/api/config"))["version"]
        assert AwesomeVersion(version) > AwesomeVersion(pinned_version)
        assert sorted(newer.servers) == ["Creative", "Rust", "Survival", "Valheim"]

        # A reload unloads and sets up again: every entry method the release checks runs.
        await ha.call("POST", f"/api/config/config_entries/entry/{newer.entry_id}/reload")
        await eventually(lambda: entry_state(ha, newer.entry_id), lambda state: state == "loaded")
        power = newer.servers["Survival"]["power"]
        await eventually(
            lambda: ha.call("GET", f"/api/states/{power}"), lambda state: state["state"] == "on"
        )

    assert complaints(newer.log) == []
    assert "Setup failed for" not in newer.log
