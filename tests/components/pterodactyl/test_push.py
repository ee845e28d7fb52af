"""Live push from the Wings websocket: state as it changes, usage without polling."""

import asyncio
from collections import Counter
from datetime import timedelta
import itertools
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import (
    DOMAIN as SWITCH_DOMAIN,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
)
from homeassistant.const import ATTR_ENTITY_ID, EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pterodactyl.api import ConnectionState
from custom_components.pterodactyl.const import SERVER_LIST_INTERVAL
from custom_components.pterodactyl.pushed import PushedState
from simulator import Fault, FaultKind, ManualClock, PanelSimulator, PowerState

from .common import (
    CREATIVE,
    SURVIVAL,
    VALHEIM,
    WAIT_TIMEOUT,
    coordinator_of,
    entity_id_of,
    server_at,
    settle,
    state_of,
    wait_for_entity,
    wait_for_panel,
    wait_for_push,
    wait_for_state,
)
from .pushing import advance, all_live, fast_backoff, panel_wings, usage_requests  # noqa: F401

# The write interval the throttling tests use instead of 5 s, to stay fast.
WRITE_INTERVAL = 0.5
# ServerSocket.start() names its task so, followed by the server's identifier.
SOCKET_TASK_PREFIX = "pterodactyl websocket"

# A ticking clock: the sockets' sleeps and timeouts need time to pass, and the polls a freezer.
pytestmark = pytest.mark.freeze_time(tick=True)


def received(simulator: PanelSimulator, identifier: str) -> list[str]:
    """Return the latest frames Wings received on the server's sockets."""
    return simulator.wings.received.get(identifier, [])


def switch_id(hass: HomeAssistant, simulator: PanelSimulator, index: int) -> str:
    """Return the power switch of the server at `index`."""
    entity_id = entity_id_of(hass, SWITCH_DOMAIN, server_at(simulator, index), "power")
    assert entity_id is not None
    return entity_id


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_live_state_and_stats_without_polling(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    panel_clock: ManualClock,
) -> None:
    """Pushed servers are never polled for usage, yet their state and usage are live."""
    await all_live(init_integration, simulator)
    before = usage_requests(simulator)
    survival = server_at(simulator, SURVIVAL)
    uptime = state_of(hass, "sensor", survival, "uptime")
    cpu = state_of(hass, "sensor", survival, "cpu_utilization")

    # Polls fall due, and the server list with its safety refresh: no usage request at all.
    await advance(hass, freezer, panel_clock, minutes=6)
    cpu_id = entity_id_of(hass, "sensor", survival, "cpu_utilization")
    assert cpu_id is not None
    await wait_for_entity(hass, cpu_id, lambda state: state != cpu)
    assert state_of(hass, "sensor", survival, "uptime") == uptime  # the boot time, stable
    assert usage_requests(simulator) == before

    # A server started on the panel shows on from Wings' status event, with no poll.
    creative = server_at(simulator, CREATIVE)
    entity_id = switch_id(hass, simulator, CREATIVE)
    simulator.set_state(creative.identifier, power=PowerState.RUNNING)
    await wait_for_entity(hass, entity_id, lambda state: state == "on")
    assert state_of(hass, "sensor", creative, "state") == "running"
    assert usage_requests(simulator) == before

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert {i: s["push"] for i, s in diagnostics["servers"].items()} == {
        i: {"live": True, "socket": "connected"} for i in simulator.servers
    }


async def test_power_action_is_pushed(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    panel_clock: ManualClock,
    init_integration: MockConfigEntry,
) -> None:
    """The switch and state follow the panel's status events, with no poll in between."""
    await all_live(init_integration, simulator)
    before = usage_requests(simulator)
    creative = server_at(simulator, CREATIVE)
    entity_id = switch_id(hass, simulator, CREATIVE)

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    assert hass.states.get(entity_id).state == "on"  # type: ignore[union-attr]
    assert creative.power_signals == ["start"]
    await wait_for_state(hass, "sensor", creative, "state", "starting")
    panel_clock.advance(simulator.start_seconds)
    await wait_for_state(hass, "sensor", creative, "state", "running")

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    assert hass.states.get(entity_id).state == "off"  # type: ignore[union-attr]
    await wait_for_state(hass, "sensor", creative, "state", "stopping")
    panel_clock.advance(simulator.stop_seconds)
    await wait_for_state(hass, "sensor", creative, "state", "offline")
    # Offline, Wings sends no more stats: the integration asked for the zeroed usage.
    await wait_for_state(hass, "sensor", creative, "memory_usage", "0.0")
    # Pushed servers need no fast polling while they change state.
    assert coordinator_of(init_integration).update_interval == timedelta(seconds=30)
    assert usage_requests(simulator) == before


async def test_token_renewal_without_reconnect(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    panel_clock: ManualClock,
    init_integration: MockConfigEntry,
) -> None:
    """An expiring or expired token is replaced on the same socket; push stays live."""
    await all_live(init_integration, simulator)
    identifier = server_at(simulator, VALHEIM).identifier
    coordinator = coordinator_of(init_integration)
    panel_clock.advance(545)  # within a minute of the 10-minute token's expiry
    await wait_for_panel(simulator, lambda: simulator.websocket_token_requests(identifier) == 2)
    # Renewed once Wings took the new token: the client then asks for the state it may have missed.
    await wait_for_panel(simulator, lambda: renewed(simulator, identifier, times=1))
    simulator.expire_websocket_tokens(identifier)
    await wait_for_panel(simulator, lambda: simulator.websocket_token_requests(identifier) == 3)
    await wait_for_panel(simulator, lambda: renewed(simulator, identifier, times=2))
    assert simulator.websocket_connects(identifier) == 1
    assert coordinator.push.is_live(identifier)
    assert usage_requests(simulator, identifier) == 1  # the first refresh only


def renewed(simulator: PanelSimulator, identifier: str, *, times: int) -> bool:
    """Return whether the socket sent `times` renewed tokens, then asked for the state."""
    frames = received(simulator, identifier)
    return frames.count("auth") == times + 1 and frames[-1] == "send stats"


async def test_reconnect_with_polling_meanwhile(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    panel_clock: ManualClock,
) -> None:
    """A dropped socket makes its server polled at once, until it is back."""
    await all_live(init_integration, simulator)
    coordinator = coordinator_of(init_integration)
    identifier = server_at(simulator, SURVIVAL).identifier
    polled = usage_requests(simulator, identifier)
    # The next two token requests fail, so the socket stays down a little while.
    simulator.inject_fault(
        Fault(FaultKind.STATUS, server=identifier, path_contains="/websocket", count=2)
    )
    await simulator.disconnect_websockets(identifier)

    await wait_for_panel(simulator, lambda: usage_requests(simulator, identifier) == polled + 1)
    await wait_for_push(init_integration, lambda: coordinator.push.is_live(identifier))
    assert simulator.websocket_connects(identifier) == 2
    assert simulator.websocket_token_requests(identifier) == 4
    # Live again: the next polls leave it alone.
    await advance(hass, freezer, panel_clock, 0.5)
    assert usage_requests(simulator, identifier) == polled + 1


@pytest.mark.parametrize("panel_servers", [1])
async def test_write_throttling(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Stats many times a second are written once per interval; a state change at once."""
    # Times on the event loop's clock, which the writer's throttle runs on.
    stats: list[float] = []
    original = PushedState.push_stats

    def counting(self: PushedState, identifier: str, value: Any) -> None:
        stats.append(hass.loop.time())
        original(self, identifier, value)

    with (
        patch.object(PushedState, "push_stats", counting),
        patch("custom_components.pterodactyl.pushed.PUSH_WRITE_INTERVAL", WRITE_INTERVAL),
    ):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await settle(hass)
        await all_live(mock_config_entry, simulator)
        survival = server_at(simulator, SURVIVAL)
        cpu_id = entity_id_of(hass, "sensor", survival, "cpu_utilization")
        assert cpu_id is not None
        cpu_writes: list[float] = []
        written = asyncio.Event()

        @callback
        def record(event: Event[Any]) -> None:
            cpu_writes.append(hass.loop.time())
            if len(cpu_writes) == 4:
                written.set()

        @callback
        def watched(data: Any) -> bool:
            return bool(data["entity_id"] == cpu_id)

        # Every write of an entity's state is one of these, changed or not.
        unsubscribe = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, record, event_filter=watched),
            hass.bus.async_listen(EVENT_STATE_REPORTED, record, event_filter=watched),
        ]
        async with asyncio.timeout(WAIT_TIMEOUT):
            await written.wait()
        for remove in unsubscribe:
            remove()
        # At most one write of the entity within any write interval...
        assert all(b - a >= WRITE_INTERVAL * 0.9 for a, b in itertools.pairwise(cpu_writes))
        # ... while Wings sent stats every 50 ms: about 10 an interval, 30 between these writes.
        assert sum(cpu_writes[0] < t <= cpu_writes[-1] for t in stats) >= 15

        # A power state change is written at once, whatever the interval: an hour here, so
        # the state shows only if it skips the throttle.
        polled = usage_requests(simulator)
        with patch("custom_components.pterodactyl.pushed.PUSH_WRITE_INTERVAL", 3600):
            simulator.set_state(survival.identifier, power=PowerState.STOPPING)
            await wait_for_state(hass, "sensor", survival, "state", "stopping")
        assert usage_requests(simulator) == polled
        await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_pushed_usage_writes_only_its_own_servers_entities(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """Stats pushed for one server write its entities alone, not every entity of the panel."""
    await all_live(init_integration, simulator)
    # Survival runs, so Wings streams its stats; Creative is offline and sends none.
    running_cpu = entity_id_of(hass, "sensor", server_at(simulator, SURVIVAL), "cpu_utilization")
    offline_cpu = entity_id_of(hass, "sensor", server_at(simulator, CREATIVE), "cpu_utilization")
    writes: Counter[str] = Counter()
    written = asyncio.Event()

    @callback
    def record(event: Event[Any]) -> None:
        writes[event.data["entity_id"]] += 1
        if writes[running_cpu] >= 3:  # type: ignore[index]
            written.set()

    @callback
    def watched(data: Any) -> bool:
        return data["entity_id"] in (running_cpu, offline_cpu)

    with patch("custom_components.pterodactyl.pushed.PUSH_WRITE_INTERVAL", WRITE_INTERVAL):
        unsubscribe = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, record, event_filter=watched),
            hass.bus.async_listen(EVENT_STATE_REPORTED, record, event_filter=watched),
        ]
        # Three writes of the running server's usage: each would have written the other too.
        async with asyncio.timeout(WAIT_TIMEOUT):
            await written.wait()
        for remove in unsubscribe:
            remove()
    assert writes[offline_cpu] == 0


@pytest.mark.parametrize("panel_servers", [110])
async def test_more_sockets_than_a_hosts_connection_pool(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """Over 100 sockets on the panel's own address: every one opens, and polls still get through."""
    # Home Assistant's shared session allows 100 connections a host; Wings here shares the panel's.
    await wait_for_panel(simulator, lambda: simulator.websocket_count() == 110)
    await all_live(init_integration, simulator)
    coordinator = coordinator_of(init_integration)
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    # The panel still answers the integration's own requests, not only the sockets.
    assert (await coordinator.client.list_servers())[0].identifier in simulator.servers


async def test_not_watchable_server_is_polled_silently(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
    panel_clock: ManualClock,
) -> None:
    """A subuser without websocket.connect has its server polled, with nothing logged."""
    identifier = server_at(simulator, CREATIVE).identifier
    simulator.make_subuser(identifier, ["control.console", "control.start", "control.stop"])
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await settle(hass)
    coordinator = coordinator_of(mock_config_entry)
    await wait_for_push(
        mock_config_entry,
        lambda: coordinator.push.state(identifier) is ConnectionState.NOT_WATCHABLE,
    )
    await all_live_but(mock_config_entry, simulator, identifier)
    before = usage_requests(simulator, identifier)
    await advance(hass, freezer, panel_clock, 0.5)
    assert usage_requests(simulator, identifier) == before + 1
    assert simulator.websocket_token_requests(identifier) == 1
    assert not [
        r for r in caplog.records if r.levelno >= logging.WARNING and "pterodactyl" in r.name
    ]


async def test_polled_server_failing_leaves_pushed_servers_up(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    panel_clock: ManualClock,
) -> None:
    """When the only polled server fails, pushed servers stay available: Wings still speaks."""
    creative = server_at(simulator, CREATIVE)
    simulator.make_subuser(creative.identifier, ["control.console", "control.start"])
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await settle(hass)
    coordinator = coordinator_of(mock_config_entry)
    await wait_for_push(
        mock_config_entry,
        lambda: coordinator.push.state(creative.identifier) is ConnectionState.NOT_WATCHABLE,
    )
    await all_live_but(mock_config_entry, simulator, creative.identifier)

    simulator.inject_fault(Fault(kind=FaultKind.STATUS, status=500, server=creative.identifier))
    await advance(hass, freezer, panel_clock, 0.5)

    assert coordinator.last_update_success
    assert state_of(hass, "sensor", creative, "state") == "unreachable"
    survival = server_at(simulator, SURVIVAL)
    assert state_of(hass, "sensor", survival, "state") == "running"
    assert state_of(hass, "sensor", survival, "cpu_utilization") != "unavailable"


async def all_live_but(entry: MockConfigEntry, simulator: PanelSimulator, skip: str) -> None:
    """Wait until every other server's socket is authenticated."""
    push = coordinator_of(entry).push
    await wait_for_push(entry, lambda: all(push.is_live(i) for i in simulator.servers if i != skip))


@pytest.mark.parametrize("panel_flavor", ["legacy"])
async def test_legacy_panel_is_polled(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
    panel_clock: ManualClock,
) -> None:
    """A 0.7 panel has no websocket: polled as before, no socket, nothing logged."""
    coordinator = coordinator_of(init_integration)
    assert all(coordinator.push.state(i) is None for i in simulator.servers)
    await advance(hass, freezer, panel_clock, 0.5)
    assert simulator.api_requests(path_contains="/websocket") == []
    assert not [
        r for r in caplog.records if r.levelno >= logging.WARNING and "pterodactyl" in r.name
    ]


async def test_servers_added_and_removed(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    panel_clock: ManualClock,
) -> None:
    """A server new on the panel gets a socket; a deleted one loses its socket."""
    await all_live(init_integration, simulator)
    coordinator = coordinator_of(init_integration)
    added = simulator.add_server("Modded")
    gone = server_at(simulator, VALHEIM).identifier
    simulator.remove_server(gone)
    await advance(hass, freezer, panel_clock, SERVER_LIST_INTERVAL.total_seconds() / 60)
    await wait_for_push(init_integration, lambda: coordinator.push.is_live(added.identifier))
    assert coordinator.push.state(gone) is None
    await wait_for_panel(simulator, lambda: simulator.websocket_count(gone) == 0)


async def test_unload_closes_every_socket(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """Unloading closes the sockets and ends their tasks; nothing is left running."""
    await all_live(init_integration, simulator)
    tasks = [t for t in asyncio.all_tasks() if t.get_name().startswith(SOCKET_TASK_PREFIX)]
    assert sorted(t.get_name() for t in tasks) == sorted(
        f"{SOCKET_TASK_PREFIX} {identifier}" for identifier in simulator.servers
    )
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert [t for t in tasks if not t.done()] == []
    await wait_for_panel(simulator, lambda: simulator.websocket_count() == 0)


async def test_home_assistant_stop_closes_every_socket(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """Stopping Home Assistant closes the sockets too."""
    await all_live(init_integration, simulator)
    await hass.async_stop()
    await wait_for_panel(simulator, lambda: simulator.websocket_count() == 0)
