"""The websocket rows of the fault matrix: a socket closed by Wings, `jwt error`, `daemon error`."""

import asyncio
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator import Fault, FaultKind, PanelSimulator, PowerState

from .common import (
    CREATIVE,
    SURVIVAL,
    WAIT_TIMEOUT,
    coordinator_of,
    log_watch,
    poll,
    server_at,
    settle,
    state_of,
    wait_for_panel,
    wait_for_push,
    wait_for_state,
)

# fast_backoff and panel_wings are fixtures: fast socket timings and reconnects.
from .pushing import all_live, fast_backoff, panel_wings, usage_requests  # noqa: F401

# A ticking clock: the sockets' sleeps and timeouts need time to pass, and the polls a freezer.
pytestmark = pytest.mark.freeze_time(tick=True)


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture the integration's debug lines too: none may carry the key or a token."""
    caplog.set_level(logging.DEBUG, logger="custom_components.pterodactyl")


def assert_quiet_and_secret(caplog: pytest.LogCaptureFixture, simulator: PanelSimulator) -> None:
    """Nothing worse than debug is logged, and no line carries the key or a token (a JWT)."""
    ours = [r for r in caplog.records if r.name.startswith("custom_components.pterodactyl")]
    assert [r.getMessage() for r in ours if r.levelno >= logging.INFO] == []
    assert simulator.client_key not in caplog.text
    assert "eyJ" not in caplog.text


def unavailable(hass: HomeAssistant) -> list[str]:
    """Return the entities that are unavailable."""
    return [s.entity_id for s in hass.states.async_all() if s.state == STATE_UNAVAILABLE]


@pytest.mark.parametrize("abort", [False, True], ids=["close_frame", "dropped_tcp"])
async def test_socket_closed_by_wings(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    abort: bool,
) -> None:
    """Closed by Wings: polled meanwhile, the values keep updating, then pushed again."""
    await all_live(init_integration, simulator)
    coordinator = coordinator_of(init_integration)
    server = server_at(simulator, SURVIVAL)
    identifier = server.identifier
    caplog.clear()
    # Wings stays away (its token route fails) while the server changes state.
    down = simulator.inject_fault(
        Fault(FaultKind.STATUS, status=502, server=identifier, path_contains="/websocket")
    )
    polled = usage_requests(simulator, identifier)
    await simulator.disconnect_websockets(identifier, abort=abort)
    # Polled at once, not after the interval.
    await wait_for_panel(simulator, lambda: usage_requests(simulator, identifier) > polled)
    await settle(hass)
    simulator.set_state(identifier, power=PowerState.OFFLINE)
    await poll(hass, freezer)
    assert not coordinator.push.is_live(identifier)
    assert state_of(hass, "sensor", server, "state") == "offline"
    assert unavailable(hass) == []

    simulator.remove_fault(down)
    await wait_for_push(init_integration, lambda: coordinator.push.is_live(identifier))
    simulator.set_state(identifier, power=PowerState.RUNNING)
    # Pushed again: the change shows without a poll.
    polled = usage_requests(simulator, identifier)
    await wait_for_state(hass, "sensor", server, "state", "running")
    assert usage_requests(simulator, identifier) == polled
    assert unavailable(hass) == []
    assert_quiet_and_secret(caplog, simulator)


async def test_jwt_error_renews_in_place(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`jwt error` on a live socket: a fresh token on the same socket, no reconnect, no poll."""
    await all_live(init_integration, simulator)
    coordinator = coordinator_of(init_integration)
    server = server_at(simulator, SURVIVAL)
    identifier = server.identifier
    caplog.clear()
    tokens = simulator.websocket_token_requests(identifier)
    polled = usage_requests(simulator, identifier)
    simulator.send_websocket_event(identifier, "jwt error", "jwt: exp claim is invalid")
    await wait_for_panel(
        simulator, lambda: simulator.websocket_token_requests(identifier) == tokens + 1
    )
    await wait_for_push(init_integration, lambda: coordinator.push.is_live(identifier))
    assert simulator.websocket_connects(identifier) == 1
    assert usage_requests(simulator, identifier) == polled
    simulator.set_state(identifier, power=PowerState.OFFLINE)
    await wait_for_state(hass, "sensor", server, "state", "offline")
    assert unavailable(hass) == []
    assert_quiet_and_secret(caplog, simulator)


async def test_expired_token_is_renewed(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A token Wings already considers expired: renewed, and the server's values keep coming."""
    await all_live(init_integration, simulator)
    coordinator = coordinator_of(init_integration)
    server = server_at(simulator, SURVIVAL)
    identifier = server.identifier
    caplog.clear()
    tokens = simulator.websocket_token_requests(identifier)
    simulator.expire_websocket_tokens(identifier)
    await wait_for_panel(simulator, lambda: simulator.websocket_token_requests(identifier) > tokens)
    await wait_for_push(init_integration, lambda: coordinator.push.is_live(identifier))
    simulator.set_state(identifier, power=PowerState.OFFLINE)
    await wait_for_state(hass, "sensor", server, "state", "offline")
    assert unavailable(hass) == []
    assert_quiet_and_secret(caplog, simulator)


async def test_daemon_error_keeps_the_socket(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`daemon error` (a failed power action, a busy installer): noted at debug, push goes on."""
    await all_live(init_integration, simulator)
    coordinator = coordinator_of(init_integration)
    server = server_at(simulator, SURVIVAL)
    identifier = server.identifier
    caplog.clear()
    polled = usage_requests(simulator, identifier)
    with log_watch("custom_components.pterodactyl", "Wings error for") as logged:
        simulator.send_websocket_event(
            identifier, "daemon error", "An unexpected error was encountered"
        )
        async with asyncio.timeout(WAIT_TIMEOUT):
            await logged.wait()
    assert coordinator.push.is_live(identifier)
    simulator.set_state(identifier, power=PowerState.OFFLINE)
    await wait_for_state(hass, "sensor", server, "state", "offline")
    assert simulator.websocket_connects(identifier) == 1
    assert usage_requests(simulator, identifier) == polled
    assert unavailable(hass) == []
    assert_quiet_and_secret(caplog, simulator)


async def test_a_dropped_socket_reads_only_its_server(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Sockets dropping one after another: each drop reads its own server, not every fallen one."""
    await all_live(init_integration, simulator)
    first, second = (server_at(simulator, index).identifier for index in (SURVIVAL, CREATIVE))
    for identifier in (first, second):
        # Wings stays away for both (their token route fails), so both stay on polling.
        simulator.inject_fault(
            Fault(FaultKind.STATUS, status=502, server=identifier, path_contains="/websocket")
        )
    polled = usage_requests(simulator, first)
    await simulator.disconnect_websockets(first)
    await wait_for_panel(simulator, lambda: usage_requests(simulator, first) == polled + 1)
    await settle(hass)

    polled_second = usage_requests(simulator, second)
    await simulator.disconnect_websockets(second)
    # Home Assistant's refresh debouncer holds a second request for up to 10 s.
    await wait_for_panel(simulator, lambda: usage_requests(simulator, second) == polled_second + 1)
    await settle(hass)
    # The first server waits for the regular interval: a wave of drops is no burst of requests.
    assert usage_requests(simulator, first) == polled + 1
