"""Server health: crashes as events and a daily count, stuck starts and hung actions in Repairs."""

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.sensor import ATTR_LAST_RESET, ATTR_STATE_CLASS, SensorStateClass
from homeassistant.components.switch import (
    DOMAIN as SWITCH_DOMAIN,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, EntityCategory
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pterodactyl.api import PowerSignal
from custom_components.pterodactyl.console import strip_ansi
from custom_components.pterodactyl.const import (
    CONF_CONSOLE_EVENTS,
    CONF_STARTING_TIMEOUT,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
    EVENT_CONSOLE_OUTPUT,
    EVENT_SERVER_CRASHED,
    POWER_ACTION_TIMEOUT,
)
from custom_components.pterodactyl.crashes import Crash, CrashWatch
from custom_components.pterodactyl.models import ServerStatus
from simulator import ManualClock, PanelSimulator, PowerState, SimServer, WingsSettings
from simulator.wings_events import daemon_line

from .common import (
    CREATIVE,
    SURVIVAL,
    WAIT_TIMEOUT,
    entity_id_of,
    poll,
    server_at,
    settle,
    setup_entry,
    state_of,
    wait_for_events,
    wait_for_state,
)
from .pushing import advance, all_live, fast_backoff, panel_wings  # noqa: F401

# A ticking clock: the sockets' sleeps and timeouts need time to pass, and the polls a freezer.
pytestmark = pytest.mark.freeze_time(tick=True)
# The interval of the fast polls after a power action.
TRANSITION = 2.0


def crashes_today(hass: HomeAssistant, server: SimServer) -> State:
    """Return the server's Crashes today state."""
    entity_id = entity_id_of(hass, "sensor", server, "crashes_today")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state


def device_id(hass: HomeAssistant, entry: MockConfigEntry, server: SimServer) -> str:
    """Return the ID of the server's device."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, server.identifier), entry.entry_id
    )
    assert device is not None
    return device.id


def stuck_issue_id(entry: MockConfigEntry, server: SimServer) -> str:
    """Return the ID of the server's stuck-start issue."""
    return f"server_stuck_starting_{entry.entry_id}_{server.identifier}"


def power_issue_id(entry: MockConfigEntry, server: SimServer) -> str:
    """Return the ID of the server's issue of a power action that never took effect."""
    return f"power_action_timeout_{entry.entry_id}_{server.identifier}"


async def wait_for_issue(hass: HomeAssistant, issue_id: str, *, present: bool) -> None:
    """Return once the issue is raised (or gone); looked at again at each change of issues."""
    registry = ir.async_get(hass)

    def met() -> bool:
        return (registry.async_get_issue(DOMAIN, issue_id) is not None) is present

    if met():
        return
    done = asyncio.Event()

    @callback
    def changed(_: Event[Any]) -> None:
        if met():
            done.set()

    unsubscribe = hass.bus.async_listen(ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED, changed)
    try:
        async with asyncio.timeout(WAIT_TIMEOUT):
            await done.wait()
    finally:
        unsubscribe()


async def act(hass: HomeAssistant, server: SimServer, domain: str, service: str, key: str) -> None:
    """Press a server's button or turn its switch, as a user does."""
    entity_id = entity_id_of(hass, domain, server, key)
    assert entity_id is not None
    await hass.services.async_call(domain, service, {ATTR_ENTITY_ID: entity_id}, blocking=True)


# Crashes.


@pytest.mark.parametrize("panel_flavor", ["v1", "pelican"])
@pytest.mark.parametrize(("exit_code", "oom"), [(1, False), (137, True)])
async def test_crash_told_by_wings(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    panel_clock: ManualClock,
    mock_config_entry: MockConfigEntry,
    exit_code: int,
    oom: bool,
) -> None:
    """Wings' crash lines fire one event with the exit code, console events off; it counts once."""
    await setup_entry(hass, mock_config_entry, simulator)
    crashed = async_capture_events(hass, EVENT_SERVER_CRASHED)
    console = async_capture_events(hass, EVENT_CONSOLE_OUTPUT)
    survival = server_at(simulator, SURVIVAL)
    state = crashes_today(hass, survival)
    assert state.state == "0"
    assert state.attributes[ATTR_STATE_CLASS] is SensorStateClass.TOTAL
    assert state.attributes[ATTR_LAST_RESET] == dt_util.start_of_local_day().isoformat()
    entry = er.async_get(hass).async_get(state.entity_id)
    assert entry is not None
    assert entry.entity_category is EntityCategory.DIAGNOSTIC

    assert simulator.crash(survival.identifier, exit_code=exit_code, oom=oom)
    await wait_for_events(hass, EVENT_SERVER_CRASHED, crashed, 1)
    # Wings starts it again; both its status and its lines said "crash": one is counted.
    await wait_for_state(hass, "sensor", survival, "state", "starting")
    panel_clock.advance(survival.start_seconds)
    await wait_for_state(hass, "sensor", survival, "state", "running")

    assert [event.data for event in crashed] == [
        {
            "identifier": survival.identifier,
            "name": "Survival",
            "device_id": device_id(hass, mock_config_entry, survival),
            "exit_code": exit_code,
            "out_of_memory": oom,
            "source": "wings",
        }
    ]
    assert crashes_today(hass, survival).state == "1"
    assert console == []


@pytest.mark.parametrize(
    "panel_wings",
    # Wings does not restart it: the poll finds the server offline.
    [WingsSettings(crash_detection=False, console_interval=None)],
)
@pytest.mark.parametrize("panel_flavor", ["v1", "legacy"])
@pytest.mark.parametrize("websocket_push", [False])
async def test_crash_told_by_the_state(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A polled server (0.7 has no websocket) seen going from running to offline crashed."""
    await setup_entry(hass, mock_config_entry, simulator)
    crashed = async_capture_events(hass, EVENT_SERVER_CRASHED)
    survival, creative = server_at(simulator, SURVIVAL), server_at(simulator, CREATIVE)

    assert simulator.crash(survival.identifier, exit_code=1)
    await poll(hass, freezer)

    assert [event.data for event in crashed] == [
        {
            "identifier": survival.identifier,
            "name": "Survival",
            "device_id": device_id(hass, mock_config_entry, survival),
            "exit_code": None,
            "out_of_memory": None,
            "source": "state",
        }
    ]
    assert crashes_today(hass, survival).state == "1"
    assert crashes_today(hass, creative).state == "0"
    # Offline it stays: no second crash at the next polls.
    await poll(hass, freezer)
    assert len(crashed) == 1


@pytest.mark.parametrize(
    ("domain", "service", "key", "settled"),
    [
        (SWITCH_DOMAIN, SERVICE_TURN_OFF, "power", "offline"),
        (BUTTON_DOMAIN, SERVICE_PRESS, "restart_server", "running"),
        (BUTTON_DOMAIN, SERVICE_PRESS, "force_stop_server", "offline"),
    ],
)
@pytest.mark.parametrize("websocket_push", [True, False])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_our_power_actions_are_no_crash(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    panel_clock: ManualClock,
    mock_config_entry: MockConfigEntry,
    domain: str,
    service: str,
    key: str,
    settled: str,
) -> None:
    """A stop, restart or kill sent from Home Assistant takes the server down: no crash."""
    await setup_entry(hass, mock_config_entry, simulator)
    crashed = async_capture_events(hass, EVENT_SERVER_CRASHED)
    survival = server_at(simulator, SURVIVAL)

    await act(hass, survival, domain, service, key)
    shown = []
    for _ in range(10):
        panel_clock.advance(TRANSITION)
        await poll(hass, freezer, TRANSITION)
        shown.append(state_of(hass, "sensor", survival, "state"))
        if shown[-1] == settled and len(shown) > 1:
            break
    assert shown[-1] == settled
    # The server did go down: stopping on the way, or no longer running.
    assert shown[0] != "running"

    assert crashed == []
    assert crashes_today(hass, survival).state == "0"


@pytest.mark.parametrize("websocket_push", [False])
async def test_a_stop_of_ours_explains_one_offline_only(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    panel_clock: ManualClock,
    mock_config_entry: MockConfigEntry,
) -> None:
    """After our stop and a start from the panel, the server dying on its own is a crash."""
    await setup_entry(hass, mock_config_entry, simulator)
    crashed = async_capture_events(hass, EVENT_SERVER_CRASHED)
    survival = server_at(simulator, SURVIVAL)
    survival.stop_seconds = 0

    await act(hass, survival, SWITCH_DOMAIN, SERVICE_TURN_OFF, "power")
    await poll(hass, freezer, TRANSITION)
    assert state_of(hass, "sensor", survival, "state") == "offline"
    simulator.set_state(survival.identifier, power=PowerState.RUNNING)
    await poll(hass, freezer)
    assert state_of(hass, "sensor", survival, "state") == "running"
    # Wings' crash handler is of no matter here: the server is polled.
    simulator.set_state(survival.identifier, power=PowerState.OFFLINE)
    await poll(hass, freezer)

    assert [event.data["source"] for event in crashed] == ["state"]


async def test_crash_count_resets_at_midnight(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The count is of the local day: local midnight sets it back to 0, and its last reset."""
    late = dt_util.start_of_local_day() + timedelta(hours=23, minutes=59, seconds=50)
    freezer.move_to(late)
    await setup_entry(hass, mock_config_entry, simulator)
    crashed = async_capture_events(hass, EVENT_SERVER_CRASHED)
    survival = server_at(simulator, SURVIVAL)
    simulator.crash(survival.identifier)
    await wait_for_events(hass, EVENT_SERVER_CRASHED, crashed, 1)
    before = crashes_today(hass, survival)
    assert before.state == "1"

    midnight = dt_util.start_of_local_day(late + timedelta(days=1))
    freezer.move_to(midnight + timedelta(seconds=1))
    async_fire_time_changed(hass, midnight + timedelta(seconds=1))
    await settle(hass)

    after = crashes_today(hass, survival)
    assert after.state == "0"
    assert after.attributes[ATTR_LAST_RESET] == midnight.isoformat()
    assert before.attributes[ATTR_LAST_RESET] != after.attributes[ATTR_LAST_RESET]


@pytest.mark.parametrize(("days_ago", "shown"), [(0, "3"), (1, "0")])
async def test_crash_count_restored_after_a_restart(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    days_ago: int,
    shown: str,
) -> None:
    """Today's count survives a restart of Home Assistant; yesterday's is not today's."""
    survival = server_at(simulator, SURVIVAL)
    entity_id = "sensor.survival_crashes_today"
    reset = dt_util.start_of_local_day(dt_util.now() - timedelta(days=days_ago))
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(entity_id, "3", {ATTR_LAST_RESET: reset.isoformat()}),
                {"native_value": 3, "native_unit_of_measurement": None},
            )
        ],
    )
    await setup_entry(hass, mock_config_entry, simulator)
    crashed = async_capture_events(hass, EVENT_SERVER_CRASHED)

    assert entity_id_of(hass, "sensor", survival, "crashes_today") == entity_id
    assert crashes_today(hass, survival).state == shown

    # A crash adds to the restored count.
    simulator.crash(survival.identifier)
    await wait_for_events(hass, EVENT_SERVER_CRASHED, crashed, 1)
    assert crashes_today(hass, survival).state == str(int(shown) + 1)


def test_only_wings_own_lines_tell_a_crash() -> None:
    """A game printing Wings' words (a player's chat) is no crash; Pelican's app name is."""
    watch = CrashWatch()
    header = "---------- Detected server process in a crashed state! ----------"
    for line in (
        f"[12:00:00 INFO]: <Steve> {header}",
        "[12:00:00 INFO]: <Steve> Exit code: 1",
        "[12:00:00 INFO]: <Steve> Out of memory: true",
        # Wings' lines, but no header before them.
        daemon_line("Exit code: 1", pelican=False),
        daemon_line("Out of memory: false", pelican=False),
    ):
        assert watch.console_line("a1b2c3d4", strip_ansi(line)) is None

    told = [
        watch.console_line("a1b2c3d4", strip_ansi(daemon_line(text, pelican=True)))
        for text in (header, "Exit code: -1", "Out of memory: false")
    ]
    assert told == [None, None, Crash(source="wings", exit_code=-1, out_of_memory=False)]
    disabled = "Aborting automatic restart, crash detection is disabled for this instance."
    assert watch.console_line(
        "a1b2c3d4", strip_ansi(daemon_line(disabled, pelican=False))
    ) == Crash(source="wings")


def test_crash_told_by_the_state_rules() -> None:
    """Up to offline is a crash unless ours explains it; a pushed server is Wings' to tell."""
    watch = CrashWatch()
    now = dt_util.utcnow()
    running, offline = ServerStatus.RUNNING, ServerStatus.OFFLINE
    assert watch.seen("s", running, offline, now, live=False) == Crash(source="state")
    assert watch.seen("s", ServerStatus.STARTING, offline, now, live=False) is not None
    for previous in (ServerStatus.STOPPING, offline, None):
        assert watch.seen("s", previous, offline, now, live=False) is None
    assert watch.seen("s", running, offline, now, live=True) is None
    assert watch.seen("s", running, ServerStatus.STARTING, now, live=False) is None

    watch.signal_sent("s", PowerSignal.START, now)
    assert watch.seen("s", running, offline, now, live=False) is not None
    watch.signal_sent("s", PowerSignal.RESTART, now)
    assert watch.seen("s", running, offline, now, live=False) is None
    # A kill explains the next offline, whatever was shown before it; that one only.
    watch.signal_sent("s", PowerSignal.KILL, now)
    assert watch.seen("s", offline, offline, now, live=False) is None
    assert watch.seen("s", running, offline, now, live=False) is not None
    # Long after our signal, the server going down is its own doing.
    watch.signal_sent("s", PowerSignal.STOP, now)
    assert watch.seen("s", running, offline, now + timedelta(hours=1), live=False) is not None
    # A start that timed out: the interim "starting" gives way to what the panel shows.
    watch.action_timed_out("s")
    assert watch.seen("s", ServerStatus.STARTING, offline, now, live=False) is None
    assert watch.seen("s", running, offline, now, live=False) is not None


# Stuck starts.


async def test_stuck_start_pushed(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    panel_clock: ManualClock,
    mock_config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Starting past the option's minutes: an issue with the console's last lines, gone once up."""
    await setup_entry(hass, mock_config_entry, simulator, {CONF_STARTING_TIMEOUT: 1})
    creative = server_at(simulator, CREATIVE)
    simulator.stall_start(creative.identifier)
    issue_id = stuck_issue_id(mock_config_entry, creative)

    await act(hass, creative, SWITCH_DOMAIN, SERVICE_TURN_ON, "power")
    await wait_for_state(hass, "sensor", creative, "state", "starting")
    await advance(hass, freezer, panel_clock, minutes=1.5)
    await wait_for_issue(hass, issue_id, present=True)

    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert (issue.severity, issue.is_fixable, issue.translation_key) == (
        ir.IssueSeverity.WARNING,
        False,
        "server_stuck_starting_console",
    )
    placeholders = issue.translation_placeholders
    assert placeholders is not None
    assert (placeholders["server"], placeholders["minutes"]) == ("Creative", "1")
    console = placeholders["console"].splitlines()
    # Wings' own lines before the start, without their colour codes.
    assert "[Pterodactyl Daemon]: Updating process configuration files..." in console
    assert "\x1b" not in placeholders["console"]
    assert 0 < len(console) <= 10

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    health = diagnostics["servers"][creative.identifier]["health"]
    assert health["open_issues"] == ["server_stuck_starting"]
    assert health["crashes_today"] == 0
    assert health["starting_since"] is not None

    simulator.stall_start(creative.identifier, stalled=False)
    await wait_for_state(hass, "sensor", creative, "state", "running")
    await wait_for_issue(hass, issue_id, present=False)


@pytest.mark.parametrize("websocket_push", [False])
async def test_stuck_start_polled(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Polled, past the default 10 minutes: named without a console; a stop ends it."""
    await setup_entry(hass, mock_config_entry, simulator)
    creative = server_at(simulator, CREATIVE)
    simulator.stall_start(creative.identifier)
    issue_id = stuck_issue_id(mock_config_entry, creative)
    registry = ir.async_get(hass)

    await act(hass, creative, SWITCH_DOMAIN, SERVICE_TURN_ON, "power")
    await poll(hass, freezer, TRANSITION)
    assert state_of(hass, "sensor", creative, "state") == "starting"
    await poll(hass, freezer, 9 * 60)
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    await poll(hass, freezer, 61)

    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "server_stuck_starting"
    assert issue.translation_placeholders == {"server": "Creative", "minutes": "10"}
    # The start took effect (starting): the stuck start says it, not a power action.
    assert registry.async_get_issue(DOMAIN, power_issue_id(mock_config_entry, creative)) is None

    await act(hass, creative, SWITCH_DOMAIN, SERVICE_TURN_OFF, "power")
    for _ in range(10):
        await poll(hass, freezer, TRANSITION)
        if state_of(hass, "sensor", creative, "state") == "offline":
            break
    assert registry.async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.parametrize("websocket_push", [False])
async def test_stuck_start_issue_goes_with_the_server_and_the_entry(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A server deleted on the panel, or the entry unloaded: their issues are deleted."""
    await setup_entry(hass, mock_config_entry, simulator, {CONF_STARTING_TIMEOUT: 1})
    survival, creative = server_at(simulator, SURVIVAL), server_at(simulator, CREATIVE)
    for server in (survival, creative):
        simulator.stall_start(server.identifier)
        simulator.set_state(server.identifier, power=PowerState.STARTING)
    await poll(hass, freezer)
    await poll(hass, freezer, 61)
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, stuck_issue_id(mock_config_entry, survival))
    assert registry.async_get_issue(DOMAIN, stuck_issue_id(mock_config_entry, creative))

    simulator.remove_server(creative.identifier)
    await poll(hass, freezer, 5 * 60)
    assert registry.async_get_issue(DOMAIN, stuck_issue_id(mock_config_entry, creative)) is None
    assert registry.async_get_issue(DOMAIN, stuck_issue_id(mock_config_entry, survival))

    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    assert registry.async_get_issue(DOMAIN, stuck_issue_id(mock_config_entry, survival)) is None


# Power actions that never take effect.


@pytest.mark.parametrize("websocket_push", [False])
async def test_start_that_never_took_effect(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The panel still shows offline 2 minutes after a start: an issue, gone once it runs."""
    await setup_entry(hass, mock_config_entry, simulator)
    creative = server_at(simulator, CREATIVE)
    issue_id = power_issue_id(mock_config_entry, creative)
    registry = ir.async_get(hass)

    crashed = async_capture_events(hass, EVENT_SERVER_CRASHED)
    await act(hass, creative, SWITCH_DOMAIN, SERVICE_TURN_ON, "power")
    # Whatever the start did is undone at once: the panel never shows it.
    simulator.set_state(creative.identifier, power=PowerState.OFFLINE)
    await poll(hass, freezer, TRANSITION)
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    await poll(hass, freezer, POWER_ACTION_TIMEOUT.total_seconds())

    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert (issue.severity, issue.is_fixable, issue.translation_key) == (
        ir.IssueSeverity.WARNING,
        False,
        "power_action_timeout_start",
    )
    assert issue.translation_placeholders == {"server": "Creative", "minutes": "2"}
    # Shown as starting until then, offline now: it never ran, so it did not crash.
    assert state_of(hass, "sensor", creative, "state") == "offline"
    assert crashed == []
    # Still offline: the same issue stays.
    await poll(hass, freezer)
    assert registry.async_get_issue(DOMAIN, issue_id) is not None

    simulator.set_state(creative.identifier, power=PowerState.RUNNING)
    await poll(hass, freezer)
    assert state_of(hass, "sensor", creative, "state") == "running"
    assert registry.async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.parametrize("websocket_push", [False])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_stop_that_hangs(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Still stopping 2 minutes after a stop: an issue; another signal of ours replaces it."""
    await setup_entry(hass, mock_config_entry, simulator)
    crashed = async_capture_events(hass, EVENT_SERVER_CRASHED)
    survival = server_at(simulator, SURVIVAL)
    survival.stop_seconds = 100_000
    issue_id = power_issue_id(mock_config_entry, survival)
    registry = ir.async_get(hass)

    await act(hass, survival, SWITCH_DOMAIN, SERVICE_TURN_OFF, "power")
    await poll(hass, freezer, TRANSITION)
    assert state_of(hass, "sensor", survival, "state") == "stopping"
    await poll(hass, freezer, POWER_ACTION_TIMEOUT.total_seconds())

    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "power_action_timeout_stop"
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    assert diagnostics["servers"][survival.identifier]["health"]["open_issues"] == [
        "power_action_timeout"
    ]

    await act(hass, survival, BUTTON_DOMAIN, SERVICE_PRESS, "force_stop_server")
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    await poll(hass, freezer, TRANSITION)
    assert state_of(hass, "sensor", survival, "state") == "offline"
    assert crashed == []


# The option.


async def test_starting_timeout_option(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Minutes from 1 to 120, whole, refused in the user's language with the range; then kept."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "panel"}
    )
    schema = result["data_schema"]
    assert schema is not None
    assert {key: key.description for key in schema.schema}[CONF_STARTING_TIMEOUT] == {
        "suggested_value": 10
    }

    for minutes in (0, 121, 2.5):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"],
            {CONF_UPDATE_INTERVAL: 30, CONF_CONSOLE_EVENTS: False, CONF_STARTING_TIMEOUT: minutes},
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_STARTING_TIMEOUT: "starting_timeout_out_of_range"}
        placeholders = result["description_placeholders"]
        assert placeholders is not None
        assert (placeholders["starting_min"], placeholders["starting_max"]) == ("1", "120")
    # Both fields wrong: both said.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_UPDATE_INTERVAL: 5, CONF_CONSOLE_EVENTS: False, CONF_STARTING_TIMEOUT: 0},
    )
    assert result["errors"] == {
        CONF_UPDATE_INTERVAL: "update_interval_out_of_range",
        CONF_STARTING_TIMEOUT: "starting_timeout_out_of_range",
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_UPDATE_INTERVAL: 30, CONF_CONSOLE_EVENTS: False, CONF_STARTING_TIMEOUT: 15.0},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options[CONF_STARTING_TIMEOUT] == 15
