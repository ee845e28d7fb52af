"""Tests of polling: concurrency, the server list, per-server and panel-wide failures, power."""

import gc
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pterodactyl.api import PterodactylRateLimitError
from custom_components.pterodactyl.const import (
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
    POWER_ACTION_TIMEOUT,
    TRANSITION_POLL_INTERVAL,
)
from simulator import Fault, FaultKind, PanelSimulator, PowerState
from simulator.clock import ManualClock

from .common import (
    CREATIVE,
    SURVIVAL,
    VALHEIM,
    entity_id_of,
    poll,
    server_at,
    state_of,
    wait_for_panel,
)

TRANSITION = TRANSITION_POLL_INTERVAL.total_seconds()
# Panel 0.7 allows 15 usage reads a minute; fast polls get the 3 the full polls leave.
LEGACY_TRANSITION = 21.0


@pytest.fixture
def websocket_push() -> bool:
    """Poll only: these are the tests of polling itself, every request of which they count."""
    return False


def _usage_requests(simulator: PanelSimulator, server: str | None = None) -> int:
    """Return how many usage reads (of one server, or all) the panel has answered or refused."""
    return len(
        simulator.api_requests(server=server, path_contains=f"/{simulator.spec.stats_route}")
    )


def _list_requests(simulator: PanelSimulator) -> int:
    """Return how many times the server list was read."""
    return sum(1 for record in simulator.api_requests() if record.path == "/api/client")


@pytest.mark.parametrize("panel_servers", [6])
async def test_usage_of_all_servers_is_read_concurrently(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """Six servers' usage is asked for at once: every read is out before the first answer."""
    # Held answers: read one after another, the second read would wait for the first.
    simulator.inject_fault(Fault(FaultKind.DELAY, path_contains="/resources", delay=1.0))
    coordinator = init_integration.runtime_data
    before = _usage_requests(simulator)
    unanswered: list[int] = []

    def all_asked() -> bool:
        reads = simulator.api_requests(path_contains="/resources")[before:]
        if len(reads) < 6:
            return False
        # Seen as the sixth read arrives: how many are still waiting for their answer.
        unanswered.append(sum(read.status == 0 for read in reads))
        return True

    refresh = hass.async_create_task(coordinator.async_refresh())
    await wait_for_panel(simulator, all_asked)
    assert unanswered == [6]
    await refresh

    assert coordinator.last_update_success
    assert _usage_requests(simulator) == 12


async def test_servers_created_and_deleted_on_the_panel(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A new server gets a device within 5 minutes, a deleted one loses it, without a reload."""
    lobby = simulator.add_server("Lobby", power=PowerState.RUNNING)
    lists_before = _list_requests(simulator)

    for _ in range(10):
        await poll(hass, freezer)

    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, lobby.identifier), init_integration.entry_id
    )
    assert device is not None
    assert device.name == "Lobby"
    assert state_of(hass, "switch", lobby, "power") == STATE_ON
    # The list is re-read once in those 5 minutes, not on every poll.
    assert _list_requests(simulator) - lists_before == 1

    survival = server_at(simulator, SURVIVAL)
    survival_switch = entity_id_of(hass, "switch", survival, "power")
    simulator.remove_server(survival.identifier)
    # The next poll meets a 404 and the one after re-reads the list.
    await poll(hass, freezer)
    await poll(hass, freezer)

    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, survival.identifier), init_integration.entry_id
        )
        is None
    )
    assert survival_switch is not None
    assert hass.states.get(survival_switch) is None
    assert entity_id_of(hass, "switch", survival, "power") is None
    assert init_integration.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("fault", "translation_key"),
    [
        (Fault(FaultKind.CLOSE), "cannot_connect"),
        (Fault(FaultKind.STATUS, status=500), "panel_error"),
        (Fault(FaultKind.REDIRECT_LOGIN), "invalid_response"),
    ],
    ids=["connection_closed", "http_500", "login_page"],
)
async def test_panel_failure_and_recovery(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    fault: Fault,
    translation_key: str,
) -> None:
    """Every entity goes unavailable with a translated reason, logged once, then recovers."""
    coordinator = init_integration.runtime_data
    survival, valheim = server_at(simulator, SURVIVAL), server_at(simulator, VALHEIM)
    simulator.inject_fault(fault)

    with caplog.at_level(logging.INFO):
        for _ in range(3):
            await poll(hass, freezer)

        assert isinstance(coordinator.last_exception, UpdateFailed)
        assert coordinator.last_exception.translation_key == translation_key
        for server in (survival, valheim):
            assert state_of(hass, "switch", server, "power") == STATE_UNAVAILABLE
            assert state_of(hass, "sensor", server, "state") == STATE_UNAVAILABLE

        simulator.clear_faults()
        await poll(hass, freezer)

    assert coordinator.last_update_success
    assert state_of(hass, "switch", survival, "power") == STATE_ON
    assert state_of(hass, "sensor", valheim, "state") == "offline"
    assert caplog.text.count("Error fetching") == 1
    assert caplog.text.count("data recovered") == 1
    assert simulator.client_key not in caplog.text


async def test_one_server_failing_is_logged_once(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A server whose node is down is logged once when it goes and once when it is back."""
    survival = server_at(simulator, SURVIVAL)
    simulator.set_node_down(survival.identifier)

    with caplog.at_level(logging.INFO):
        for _ in range(3):
            await poll(hass, freezer)
        simulator.set_node_down(survival.identifier, down=False)
        await poll(hass, freezer)

    assert caplog.text.count("Usage of server Survival is unavailable: unreachable") == 1
    assert caplog.text.count("Usage of server Survival is available again") == 1
    assert init_integration.runtime_data.last_update_success


async def test_recovered_failure_releases_the_failed_update(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """After recovery, the last failure stays for diagnostics, but no longer holds its update."""
    coordinator = init_integration.runtime_data
    simulator.inject_fault(Fault(FaultKind.STATUS, status=429, retry_after=1, count=3))
    await poll(hass, freezer)
    failure = coordinator.last_exception
    assert isinstance(failure, UpdateFailed)
    assert failure.__traceback__ is not None
    # One refused read a server: each kept alive by the failure's traceback.
    gc.collect()
    assert _count(PterodactylRateLimitError) == 3

    await poll(hass, freezer, 30)
    assert coordinator.last_update_success
    assert coordinator.last_exception is failure
    assert failure.translation_key == "rate_limited"
    assert failure.__traceback__ is None
    gc.collect()
    # Only the failure's own cause is left.
    assert _count(PterodactylRateLimitError) == 1


def _count(kind: type) -> int:
    """Return how many objects of `kind` are alive."""
    return sum(isinstance(obj, kind) for obj in gc.get_objects())


async def test_rate_limit_honours_retry_after(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """After a 429 the panel is left alone for as long as it asked, then polled again."""
    coordinator = init_integration.runtime_data
    survival = server_at(simulator, SURVIVAL)
    simulator.inject_fault(Fault(FaultKind.STATUS, status=429, retry_after=120, count=3))

    await poll(hass, freezer)
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == "rate_limited"
    assert coordinator.last_exception.translation_placeholders["retry_after"] == "120"
    assert state_of(hass, "sensor", survival, "state") == STATE_UNAVAILABLE
    requests = len(simulator.api_requests())

    # The regular 30 s interval would have polled three times by now.
    await poll(hass, freezer, 30)
    await poll(hass, freezer, 30)
    await poll(hass, freezer, 30)
    assert len(simulator.api_requests()) == requests

    await poll(hass, freezer, 31)
    assert len(simulator.api_requests()) > requests
    assert coordinator.last_update_success
    assert state_of(hass, "sensor", survival, "state") == "running"


async def test_revoked_key_starts_reauth(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A key deleted on the panel asks the user for a new one."""
    simulator.revoke_key(simulator.client_key)

    await poll(hass, freezer)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == init_integration.entry_id
    assert state_of(hass, "switch", server_at(simulator, SURVIVAL), "power") == STATE_UNAVAILABLE


@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
@pytest.mark.parametrize(
    ("index", "service", "shown", "settled"),
    [
        (CREATIVE, SERVICE_TURN_ON, STATE_ON, "running"),
        (SURVIVAL, SERVICE_TURN_OFF, STATE_OFF, "offline"),
    ],
    ids=["start", "stop"],
)
async def test_power_action_is_followed_closely(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    panel_clock: ManualClock,
    init_integration: MockConfigEntry,
    panel_flavor: str,
    index: int,
    service: str,
    shown: str,
    settled: str,
) -> None:
    """The switch shows the action at once, never a stale state, and the outcome within 2 s."""
    coordinator = init_integration.runtime_data
    legacy = panel_flavor == "legacy"
    server = server_at(simulator, index)
    switch = entity_id_of(hass, "switch", server, "power")
    # Like the real panel, answer usage from a 20 s cache: the stale state an action must hide.
    simulator.resources_cache_seconds = 20
    await poll(hass, freezer)

    await hass.services.async_call(SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: switch}, blocking=True)
    assert state_of(hass, "switch", server, "power") == shown
    assert server.power_signals == ["start" if service == SERVICE_TURN_ON else "stop"]
    step = LEGACY_TRANSITION if legacy else TRANSITION
    assert coordinator.update_interval.total_seconds() == step
    requests = {other: _usage_requests(simulator, other) for other in simulator.servers}

    elapsed = 0.0
    while state_of(hass, "sensor", server, "state") != settled:
        assert state_of(hass, "switch", server, "power") == shown
        assert elapsed < 60, "the panel's state never showed"
        panel_clock.advance(step)
        await poll(hass, freezer, step)
        elapsed += step

    # The cache hid the change for 20 s; the next fast poll showed it.
    assert 20 <= elapsed <= 20 + step
    assert state_of(hass, "switch", server, "power") == shown
    assert coordinator.update_interval.total_seconds() == DEFAULT_UPDATE_INTERVAL
    # Only the changing server was polled fast; the others kept to the 30 s interval.
    for other, before in requests.items():
        polled = _usage_requests(simulator, other) - before
        if other == server.identifier:
            assert polled >= elapsed // step
        else:
            assert polled <= elapsed // DEFAULT_UPDATE_INTERVAL + 1


async def test_fast_polling_ends_when_a_server_never_settles(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A server stuck starting (its ready line never matches) is polled fast for 2 minutes only."""
    coordinator = init_integration.runtime_data
    creative = server_at(simulator, CREATIVE)
    creative.start_seconds = 100_000

    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: entity_id_of(hass, "switch", creative, "power")},
        blocking=True,
    )
    polls = 0
    while coordinator.update_interval == TRANSITION_POLL_INTERVAL:
        assert polls * TRANSITION <= POWER_ACTION_TIMEOUT.total_seconds() + TRANSITION
        await poll(hass, freezer, TRANSITION)
        polls += 1

    assert polls * TRANSITION >= POWER_ACTION_TIMEOUT.total_seconds()
    assert state_of(hass, "sensor", creative, "state") == "starting"
    assert state_of(hass, "switch", creative, "power") == STATE_ON
    # A server seen starting without an action of ours does not speed polling up either.
    await poll(hass, freezer)
    assert coordinator.update_interval.total_seconds() == DEFAULT_UPDATE_INTERVAL


@pytest.mark.parametrize("panel_servers", [0])
async def test_account_without_servers(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """With nothing to poll the list is read each time: failures show, a first server appears."""
    coordinator = init_integration.runtime_data
    assert init_integration.state is ConfigEntryState.LOADED
    fault = simulator.inject_fault(Fault(FaultKind.STATUS, status=500))

    await poll(hass, freezer)
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == "panel_error"

    simulator.remove_fault(fault)
    lobby = simulator.add_server("Lobby")
    await poll(hass, freezer)
    assert state_of(hass, "switch", lobby, "power") == STATE_OFF

    simulator.remove_server(lobby.identifier)
    await poll(hass, freezer)
    await poll(hass, freezer)
    simulator.revoke_key(simulator.client_key)
    await poll(hass, freezer)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.parametrize(
    ("fault", "entry_state"),
    [
        (Fault(FaultKind.STATUS, status=401), ConfigEntryState.SETUP_ERROR),
        (Fault(FaultKind.STATUS, status=500), ConfigEntryState.SETUP_RETRY),
    ],
    ids=["revoked_key", "panel_error"],
)
async def test_account_unreadable_at_setup(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    fault: Fault,
    entry_state: ConfigEntryState,
) -> None:
    """A refused key asks for a new one at setup; a failing panel is retried later."""
    simulator.inject_fault(fault)
    mock_config_entry.add_to_hass(hass)

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is entry_state
    reauth = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert bool(reauth) is (entry_state is ConfigEntryState.SETUP_ERROR)
