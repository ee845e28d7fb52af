"""Helpers shared by the entity and coordinator tests."""

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.pterodactyl.const import DOMAIN
from custom_components.pterodactyl.coordinator import PterodactylCoordinator
from simulator import PanelSimulator, PowerState, SimServer

SURVIVAL, CREATIVE, VALHEIM = 0, 1, 2

# How long a wait may take before the test fails: a guard against a hang, never a measure of
# speed (the benchmarks measure that). Generous, for a loaded CI machine.
WAIT_TIMEOUT = 30.0
# The `daemon error` push_settled() sends after Wings' first frames, to know they were read.
PUSH_SETTLED = "push settled"


def server_at(simulator: PanelSimulator, index: int) -> SimServer:
    """Return the simulated server in the fleet's `index`-th position."""
    return list(simulator.servers.values())[index]


def entity_id_of(hass: HomeAssistant, platform: str, server: SimServer, key: str) -> str | None:
    """Return the entity ID of a server's entity, None when it was not created."""
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{server.uuid}_{key}")


def state_of(hass: HomeAssistant, platform: str, server: SimServer, key: str) -> str:
    """Return the state of a server's entity, which must exist."""
    entity_id = entity_id_of(hass, platform, server, key)
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def setup_entry(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    simulator: PanelSimulator,
    options: dict[str, Any] | None = None,
) -> None:
    """Set the entry up (with `options`), its sockets' first pushes read (see conftest)."""
    entry.add_to_hass(hass)
    if options is not None:
        hass.config_entries.async_update_entry(entry, options=options)
    await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    if has_sockets(entry, simulator):
        await push_settled(entry, simulator)
        await settle(hass)


async def setup_platform(
    hass: HomeAssistant, entry: MockConfigEntry, platform: Platform, simulator: PanelSimulator
) -> None:
    """Set the integration up with only one platform, its first pushes read (see conftest)."""
    with patch("custom_components.pterodactyl.PLATFORMS", [platform]):
        await setup_entry(hass, entry, simulator)


def has_sockets(entry: MockConfigEntry, simulator: PanelSimulator) -> bool:
    """Return whether the entry opened sockets: push is on, and the panel has websockets."""
    push = coordinator_of(entry).push
    return any(push.state(identifier) is not None for identifier in simulator.servers)


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 30) -> None:
    """Let `seconds` of Home Assistant time pass, running the polls that fall due."""
    # Not tick(): on a ticking clock (freeze_time(tick=True)) it drops the real time since the
    # clock's last move, and a poll that was due would not fire.
    freezer.move_to(dt_util.utcnow() + timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await settle(hass)


async def settle(hass: HomeAssistant) -> None:
    """Wait for all pending work, background refreshes too (the websockets are no such task)."""
    await hass.async_block_till_done(wait_background_tasks=True)


def coordinator_of(entry: MockConfigEntry) -> PterodactylCoordinator:
    """Return the entry's coordinator."""
    coordinator: PterodactylCoordinator = entry.runtime_data
    return coordinator


async def wait_for_push(entry: MockConfigEntry, condition: Callable[[], bool]) -> None:
    """Return once `condition()` about push holds; looked at again at every socket change."""
    async with asyncio.timeout(WAIT_TIMEOUT):
        await coordinator_of(entry).push.async_wait_for(condition)


async def wait_for_panel(simulator: PanelSimulator, condition: Callable[[], bool]) -> None:
    """Return once `condition()` about the simulator holds.

    Looked at again at every request the panel logs and every socket or frame its Wings gets.
    """
    async with asyncio.timeout(WAIT_TIMEOUT):
        await simulator.async_wait_for(condition)


async def wait_for_entity(
    hass: HomeAssistant, entity_id: str, condition: Callable[[str], bool]
) -> None:
    """Return once the entity's state passes `condition`; looked at again as its state changes."""

    def met() -> bool:
        state = hass.states.get(entity_id)
        return state is not None and condition(state.state)

    if met():
        return
    done = asyncio.Event()

    @callback
    def changed(_: Event[EventStateChangedData]) -> None:
        if met():
            done.set()

    unsubscribe = async_track_state_change_event(hass, [entity_id], changed)
    try:
        async with asyncio.timeout(WAIT_TIMEOUT):
            await done.wait()
    finally:
        unsubscribe()


async def wait_for_state(
    hass: HomeAssistant, platform: str, server: SimServer, key: str, expected: str
) -> None:
    """Return once a server's entity shows `expected`, as its state changes."""
    entity_id = entity_id_of(hass, platform, server, key)
    assert entity_id is not None
    await wait_for_entity(hass, entity_id, lambda state: state == expected)


async def wait_for_events(
    hass: HomeAssistant, event_type: str, events: list[Event[Any]], count: int
) -> None:
    """Return once `events` (captured by async_capture_events) holds `count` events or more.

    Looked at again at each `event_type` event: the capture, registered first, has it by then.
    """
    if len(events) >= count:
        return
    done = asyncio.Event()

    @callback
    def fired(_: Event[Any]) -> None:
        if len(events) >= count:
            done.set()

    unsubscribe = hass.bus.async_listen(event_type, fired)
    try:
        async with asyncio.timeout(WAIT_TIMEOUT):
            await done.wait()
    finally:
        unsubscribe()


@contextmanager
def log_watch(logger: str, text: str) -> Iterator[asyncio.Event]:
    """Yield an event set when `logger` (or a child) logs a message containing `text`.

    The logger logs debug lines meanwhile, so that a debug line can be watched for.
    """
    seen = asyncio.Event()
    loop = asyncio.get_running_loop()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if text in record.getMessage():
                loop.call_soon_threadsafe(seen.set)

    handler = Watch(logging.DEBUG)
    watched = logging.getLogger(logger)
    level = watched.level
    if not watched.isEnabledFor(logging.DEBUG):
        watched.setLevel(logging.DEBUG)
    watched.addHandler(handler)
    try:
        yield seen
    finally:
        watched.removeHandler(handler)
        watched.setLevel(level)


async def push_settled(entry: MockConfigEntry, simulator: PanelSimulator) -> None:
    """Return once every server is pushed and the integration has read what Wings sent first.

    Wings follows an accepted token with the server's status, and an offline server's stats; a
    running server's stats answer the client's `send stats`. Wings sends a socket's frames in
    order: a `daemon error` sent after those is read after them, and its debug line says so.
    """
    push = coordinator_of(entry).push
    await wait_for_push(entry, lambda: all(push.is_live(i) for i in simulator.servers))
    running = [i for i, s in simulator.servers.items() if s.power_state is not PowerState.OFFLINE]
    await wait_for_panel(
        simulator,
        lambda: all("send stats" in simulator.wings.received.get(i, []) for i in running),
    )
    for identifier in simulator.servers:
        marker = f"Wings error for {identifier}: {PUSH_SETTLED}"
        with log_watch("custom_components.pterodactyl", marker) as read:
            simulator.send_websocket_event(identifier, "daemon error", PUSH_SETTLED)
            async with asyncio.timeout(WAIT_TIMEOUT):
                await read.wait()
