"""The fault matrix: every way a panel or network fails, as the user sees it, logs it and recovers.

Each row breaks the simulated panel one way, polls through the fault, checks the entities, the
translated reason and the log, then clears the fault and checks that everything came back.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import partial
import logging
import socket
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_API_KEY,
    CONF_URL,
    SERVICE_TURN_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pterodactyl.api import PterodactylClient
from custom_components.pterodactyl.const import DOMAIN, SERVER_LIST_INTERVAL, SERVICE_SEND_COMMAND
from simulator import Fault, FaultKind, PanelSimulator, ServerStatus, SimServer, errors

from .common import SURVIVAL, VALHEIM, entity_id_of, poll, server_at, state_of

# Short enough to keep the timeout rows fast, long enough for a loaded CI machine's loopback.
REQUEST_TIMEOUT = 1.5
# Seconds a slow answer takes: well past the timeout, and the simulator cancels it afterwards.
SLOW = 4.0
INTERVAL = 30
# The entities of each server that every row looks at: one of each kind.
WATCHED = (
    ("switch", "power"),
    ("sensor", "state"),
    ("sensor", "cpu_utilization"),
    ("binary_sensor", "status"),
)
LOGGER_NAME = "custom_components.pterodactyl"

type Breaker = Callable[[PanelSimulator, SimServer], AbstractAsyncContextManager[None]]

# Frozen time would also freeze the event loop's clock, and with it every request timeout:
# time runs on between the polls' jumps, so a timeout row takes REQUEST_TIMEOUT of real time.
# Every entity enabled, those disabled for new installs too: a fault must not break any of them.
pytestmark = [
    pytest.mark.freeze_time(tick=True),
    pytest.mark.usefixtures("entity_registry_enabled_by_default"),
]


@pytest.fixture
def websocket_push() -> bool:
    """Poll only: the HTTP rows are about the panel's API, not Wings' push."""
    return False


@pytest.fixture(autouse=True)
def short_request_timeout() -> Iterator[None]:
    """Give the integration's client a short timeout, so timeouts cost no real 10 s."""
    client = partial(PterodactylClient, request_timeout=REQUEST_TIMEOUT)
    with patch("custom_components.pterodactyl.helpers.PterodactylClient", client):
        yield


@pytest.fixture
def caplog_debug(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every log record, down to DEBUG, where a leaked key would most likely hide."""
    caplog.set_level(logging.DEBUG)
    return caplog


def faulty(**fault: object) -> Breaker:
    """Inject a fault on every API request while the breaker is active."""

    @asynccontextmanager
    async def breaker(sim: PanelSimulator, server: SimServer) -> AsyncIterator[None]:
        sim.inject_fault(Fault(**fault))  # type: ignore[arg-type]
        yield
        sim.clear_faults()

    return breaker


def faulty_server(**fault: object) -> Breaker:
    """Inject a fault on the requests of the victim server only."""

    @asynccontextmanager
    async def breaker(sim: PanelSimulator, server: SimServer) -> AsyncIterator[None]:
        sim.inject_fault(Fault(server=server.identifier, **fault))  # type: ignore[arg-type]
        yield
        sim.clear_faults()

    return breaker


def panel_state(
    apply: Callable[[PanelSimulator, SimServer], object],
    undo: Callable[[PanelSimulator, SimServer], object],
) -> Breaker:
    """Change the panel's own state (not a fault) while the breaker is active."""

    @asynccontextmanager
    async def breaker(sim: PanelSimulator, server: SimServer) -> AsyncIterator[None]:
        apply(sim, server)
        yield
        undo(sim, server)

    return breaker


@asynccontextmanager
async def unanswered_connect(sim: PanelSimulator, server: SimServer) -> AsyncIterator[None]:
    """Leave the panel's port listening but never completing a TCP handshake (a dropped SYN)."""
    assert sim.url is not None
    port = int(sim.url.rsplit(":", 1)[1])
    await sim.stop()
    with blackhole(port):
        yield
    await sim.start("127.0.0.1", port)


@contextmanager
def blackhole(port: int) -> Iterator[None]:
    """Listen on port with a full accept queue: the kernel then drops every new SYN."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        # A backlog of 0 holds one connection; the filler takes it, and nothing is accepted.
        listener.listen(0)
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            yield


def _set_2fa_required(sim: PanelSimulator, server: SimServer) -> None:
    """Demand two-factor authentication the account has not enabled."""
    sim.require_2fa = True


def _enable_2fa(sim: PanelSimulator, server: SimServer) -> None:
    """Enable two-factor authentication on the account."""
    sim.account.two_factor_enabled = True


# Faults of the whole panel: every entity goes unavailable with one translated reason.


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelRow:
    """A fault that leaves no server readable."""

    id: str
    breaker: Breaker
    translation_key: str
    # The panel is left alone this long after a failure (Retry-After, or the interval).
    retry_after: float = INTERVAL
    # The fault only shows when the server list is re-read (every 5 minutes).
    on_server_list: bool = False
    # Whether the requests reach the panel, which logs them (an unanswered connect does not).
    reaches_panel: bool = True


PANEL_ROWS = [
    PanelRow(
        id="400_two_factor_required",
        breaker=panel_state(_set_2fa_required, _enable_2fa),
        translation_key="two_factor_required",
    ),
    PanelRow(
        id="429_with_retry_after",
        breaker=faulty(kind=FaultKind.STATUS, status=429, retry_after=120),
        translation_key="rate_limited",
        retry_after=120,
    ),
    PanelRow(
        id="429_without_retry_after",
        breaker=faulty(kind=FaultKind.STATUS, status=429),
        translation_key="rate_limited",
        retry_after=60,
    ),
    PanelRow(
        id="500",
        breaker=faulty(kind=FaultKind.STATUS, status=500),
        translation_key="panel_error",
    ),
    PanelRow(
        id="500_on_server_list_only",
        breaker=faulty(kind=FaultKind.STATUS, status=500, path="/api/client"),
        translation_key="panel_error",
        on_server_list=True,
    ),
    PanelRow(
        # nginx's own page while PHP-FPM (the panel) is down.
        id="502_bad_gateway_page",
        breaker=faulty(kind=FaultKind.NON_JSON, status=502),
        translation_key="panel_error",
    ),
    PanelRow(
        id="connect_timeout",
        breaker=unanswered_connect,
        translation_key="cannot_connect",
        reaches_panel=False,
    ),
    PanelRow(
        id="read_timeout",
        breaker=faulty(kind=FaultKind.DELAY, delay=SLOW),
        translation_key="cannot_connect",
    ),
    PanelRow(
        id="connection_reset_mid_body",
        breaker=faulty(kind=FaultKind.DISCONNECT),
        translation_key="cannot_connect",
    ),
    PanelRow(
        id="truncated_json",
        breaker=faulty(kind=FaultKind.TRUNCATED_JSON),
        translation_key="invalid_response",
    ),
    PanelRow(
        id="302_to_login_page",
        breaker=faulty(kind=FaultKind.REDIRECT_LOGIN),
        translation_key="invalid_response",
    ),
    PanelRow(
        # A 200 maintenance page: HTML where JSON belongs.
        id="wrong_content_type",
        breaker=faulty(kind=FaultKind.NON_JSON, status=200),
        translation_key="invalid_response",
    ),
    PanelRow(
        id="body_of_9_mib",
        breaker=faulty(kind=FaultKind.HUGE_BODY, size=9 * 1024 * 1024),
        translation_key="invalid_response",
    ),
]


def entity_states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Return the state of every enabled entity of the entry."""
    states = {}
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        if entity.disabled_by is None:
            state = hass.states.get(entity.entity_id)
            assert state is not None, entity.entity_id
            states[entity.entity_id] = state.state
    return states


def watched_states(hass: HomeAssistant, server: SimServer) -> dict[str, str]:
    """Return the states of a server's watched entities."""
    return {f"{platform}.{key}": state_of(hass, platform, server, key) for platform, key in WATCHED}


def assert_key_never_leaked(
    hass: HomeAssistant, simulator: PanelSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Assert the API key is in no log record, traceback or entity attribute."""
    key = simulator.client_key
    assert key not in caplog.text
    for record in caplog.records:
        assert key not in str(record.exc_info), record.getMessage()
    for state in hass.states.async_all():
        assert key not in repr(state.attributes)


def update_attempts(caplog: pytest.LogCaptureFixture, name: str) -> int:
    """Return how many updates Home Assistant's coordinator made, failed or not (its log)."""
    return sum(
        record.getMessage().startswith(f"Finished fetching {name} data in ")
        for record in caplog.records
    )


def own_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the integration's log lines of WARNING or above."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(LOGGER_NAME) and record.levelno >= logging.WARNING
    ]


@pytest.mark.parametrize("row", PANEL_ROWS, ids=[row.id for row in PANEL_ROWS])
async def test_panel_fault(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    caplog_debug: pytest.LogCaptureFixture,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    row: PanelRow,
) -> None:
    """Every entity goes unavailable with a translated reason, logged once, then recovers."""
    coordinator = init_integration.runtime_data
    before = entity_states(hass, init_integration)
    assert STATE_UNAVAILABLE not in before.values()
    victim = server_at(simulator, SURVIVAL)
    if row.on_server_list:
        # Bring the server list to the edge of falling due (it was read during setup, which
        # took a moment of ticking time), so that the next poll reads it.
        await poll(hass, freezer, SERVER_LIST_INTERVAL.total_seconds() - INTERVAL + 1)

    # Requests as the panel logged them, and update attempts as Home Assistant logs them: a
    # fault may keep requests from reaching the panel.
    attempts = partial(update_attempts, caplog_debug, coordinator.name)
    async with row.breaker(simulator, victim):
        attempted = attempts()
        await poll(hass, freezer)
        assert attempts() == attempted + 1
        assert isinstance(coordinator.last_exception, UpdateFailed)
        assert coordinator.last_exception.translation_key == row.translation_key
        assert set(entity_states(hass, init_integration).values()) == {STATE_UNAVAILABLE}
        # The panel is left alone until the retry is due, then asked again.
        asked = len(simulator.api_requests())
        await poll(hass, freezer, row.retry_after - 2)
        assert attempts() == attempted + 1
        assert len(simulator.api_requests()) == asked
        await poll(hass, freezer, 3)
        assert attempts() == attempted + 2
        if row.reaches_panel:
            assert len(simulator.api_requests()) > asked
        assert set(entity_states(hass, init_integration).values()) == {STATE_UNAVAILABLE}
        assert init_integration.state is ConfigEntryState.LOADED

    await poll(hass, freezer, row.retry_after + 1)
    assert coordinator.last_update_success
    assert entity_states(hass, init_integration).keys() == before.keys()
    assert STATE_UNAVAILABLE not in entity_states(hass, init_integration).values()
    assert caplog_debug.text.count(f"Error fetching {coordinator.name} data") == 1
    assert caplog_debug.text.count(f"Fetching {coordinator.name} data recovered") == 1
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert_key_never_leaked(hass, simulator, caplog_debug)


# Faults of one server: that server says why on its state sensor; the others carry on.


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerRow:
    """A fault that concerns one server only."""

    id: str
    breaker: Breaker
    # The victim's state sensor while the fault lasts.
    state: str
    # Whether the victim's power switch stays usable (its power state is still known).
    switch_available: bool = False
    flavor: str = "v1"


SERVER_ROWS = [
    ServerRow(
        id="409_suspended",
        breaker=panel_state(
            lambda sim, server: sim.suspend(server.identifier),
            lambda sim, server: sim.suspend(server.identifier, suspended=False),
        ),
        state="suspended",
        switch_available=True,
    ),
    ServerRow(
        id="409_installing",
        breaker=panel_state(
            lambda sim, server: sim.set_installing(server.identifier),
            lambda sim, server: sim.set_installing(server.identifier, installing=False),
        ),
        state="installing",
        switch_available=True,
    ),
    ServerRow(
        id="409_transferring",
        breaker=panel_state(
            lambda sim, server: sim.set_state(server.identifier, transferring=True),
            lambda sim, server: sim.set_state(server.identifier, transferring=False),
        ),
        state="transferring",
    ),
    ServerRow(
        id="409_restoring_backup",
        breaker=panel_state(
            lambda sim, server: sim.set_state(
                server.identifier, status=ServerStatus.RESTORING_BACKUP
            ),
            lambda sim, server: sim.set_state(server.identifier, status=None),
        ),
        state="restoring_backup",
    ),
    ServerRow(
        id="409_node_maintenance",
        breaker=panel_state(
            lambda sim, server: sim.set_state(server.identifier, node_maintenance=True),
            lambda sim, server: sim.set_state(server.identifier, node_maintenance=False),
        ),
        state="node_maintenance",
    ),
    ServerRow(
        id="504_node_down",
        breaker=panel_state(
            lambda sim, server: sim.set_node_down(server.identifier),
            lambda sim, server: sim.set_node_down(server.identifier, down=False),
        ),
        state="unreachable",
    ),
    ServerRow(
        id="504_injected",
        breaker=faulty_server(kind=FaultKind.STATUS, status=504),
        state="unreachable",
    ),
    ServerRow(
        id="pelican_missing",
        breaker=panel_state(
            lambda sim, server: sim.set_node_down(server.identifier),
            lambda sim, server: sim.set_node_down(server.identifier, down=False),
        ),
        state="unreachable",
        flavor="pelican",
    ),
    ServerRow(
        id="read_timeout_of_one_server",
        breaker=faulty_server(kind=FaultKind.DELAY, delay=SLOW),
        state="unreachable",
    ),
]


@pytest.mark.parametrize(
    ("panel_flavor", "row"),
    [pytest.param(row.flavor, row, id=row.id) for row in SERVER_ROWS],
)
async def test_server_fault(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    caplog_debug: pytest.LogCaptureFixture,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    row: ServerRow,
) -> None:
    """Only the victim's usage goes; its state sensor says why; it is logged once; it returns."""
    coordinator = init_integration.runtime_data
    victim, bystander = server_at(simulator, SURVIVAL), server_at(simulator, VALHEIM)
    bystander_before = watched_states(hass, bystander)

    async with row.breaker(simulator, victim):
        for _ in range(3):
            await poll(hass, freezer)
        assert coordinator.last_update_success
        seen = watched_states(hass, victim)
        assert seen["sensor.state"] == row.state
        assert seen["sensor.cpu_utilization"] == STATE_UNAVAILABLE
        assert (seen["switch.power"] != STATE_UNAVAILABLE) is row.switch_available
        assert (seen["binary_sensor.status"] != STATE_UNAVAILABLE) is row.switch_available
        assert watched_states(hass, bystander) == bystander_before

    await poll(hass, freezer)
    recovered = watched_states(hass, victim)
    assert STATE_UNAVAILABLE not in recovered.values()
    assert recovered["sensor.state"] == victim.power_state.value
    assert watched_states(hass, bystander) == bystander_before
    log = caplog_debug.text
    assert log.count(f"Usage of server {victim.name} is unavailable: {row.state}") == 1
    assert log.count(f"Usage of server {victim.name} is available again") == 1
    assert f"server {bystander.name}" not in log
    assert own_warnings(caplog_debug) == []
    assert_key_never_leaked(hass, simulator, caplog_debug)


async def test_server_deleted_between_list_and_poll(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    caplog_debug: pytest.LogCaptureFixture,
    device_registry: dr.DeviceRegistry,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A 404 for a listed server shows it unreachable once; the list is re-read and it goes."""
    victim, bystander = server_at(simulator, SURVIVAL), server_at(simulator, VALHEIM)
    bystander_before = watched_states(hass, bystander)
    simulator.remove_server(victim.identifier)

    await poll(hass, freezer)
    assert state_of(hass, "sensor", victim, "state") == "unreachable"
    await poll(hass, freezer)

    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, victim.identifier), init_integration.entry_id
        )
        is None
    )
    assert not [
        entity
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), init_integration.entry_id
        )
        if entity.unique_id.startswith(victim.uuid)
    ]
    assert watched_states(hass, bystander) == bystander_before
    assert init_integration.runtime_data.last_update_success
    assert caplog_debug.text.count(f"Server {victim.identifier} is no longer this entry's") == 1
    assert own_warnings(caplog_debug) == []
    assert_key_never_leaked(hass, simulator, caplog_debug)


# A refused key: every entity goes unavailable and Home Assistant asks for a new key.


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthRow:
    """A fault that means the key no longer works."""

    id: str
    fault: Fault
    translation_key: str


AUTH_ROWS = [
    AuthRow(
        id="401_bad_key",
        fault=Fault(FaultKind.STATUS, status=401),
        translation_key="invalid_auth",
    ),
    AuthRow(
        # Panels 1.0 to 1.7 refuse a bad key with an empty 403.
        id="403_bad_key_1.0_to_1.7",
        fault=Fault(FaultKind.STATUS, status=403, detail=""),
        translation_key="invalid_auth",
    ),
    AuthRow(
        id="403_application_key",
        fault=Fault(FaultKind.STATUS, status=403, detail=errors.APPLICATION_KEY),
        translation_key="application_key",
    ),
]


@pytest.mark.parametrize("row", AUTH_ROWS, ids=[row.id for row in AUTH_ROWS])
async def test_refused_key(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    caplog_debug: pytest.LogCaptureFixture,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    row: AuthRow,
) -> None:
    """Polling stops, a reauth flow explains why, and a working key brings everything back."""
    coordinator = init_integration.runtime_data
    simulator.inject_fault(row.fault)

    await poll(hass, freezer)
    assert isinstance(coordinator.last_exception, ConfigEntryAuthFailed)
    assert coordinator.last_exception.translation_key == row.translation_key
    assert set(entity_states(hass, init_integration).values()) == {STATE_UNAVAILABLE}
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    # A refused key is not retried: the panel would only refuse it again.
    requests = len(simulator.api_requests())
    await poll(hass, freezer, 300)
    assert len(simulator.api_requests()) == requests

    simulator.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_API_KEY: simulator.client_key}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.state is ConfigEntryState.LOADED
    assert STATE_UNAVAILABLE not in entity_states(hass, init_integration).values()
    assert caplog_debug.text.count("Authentication failed while fetching") == 1
    assert_key_never_leaked(hass, simulator, caplog_debug)


# Faults met by an action: the action fails with a translated reason; nothing else changes.


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionRow:
    """A fault the panel answers an action with."""

    id: str
    service: str
    # The victim server, by its position in the fleet (Survival runs, Valheim is off).
    index: int
    translation_key: str
    fault: Fault | None = None
    flavor: str = "v1"


ACTION_ROWS = [
    ActionRow(
        id="412_command_to_offline_server_0.7",
        service=SERVICE_SEND_COMMAND,
        index=VALHEIM,
        translation_key="server_offline",
        flavor="legacy",
    ),
    ActionRow(
        id="502_command_to_offline_server",
        service=SERVICE_SEND_COMMAND,
        index=VALHEIM,
        translation_key="server_offline",
    ),
    ActionRow(
        id="422_power_signal",
        service=SERVICE_TURN_ON,
        index=VALHEIM,
        translation_key="panel_error",
        fault=Fault(FaultKind.STATUS, status=422, path_contains="/power"),
    ),
    ActionRow(
        id="429_power_signal",
        service=SERVICE_TURN_ON,
        index=VALHEIM,
        translation_key="rate_limited",
        fault=Fault(FaultKind.STATUS, status=429, retry_after=5, path_contains="/power"),
    ),
]


@pytest.mark.parametrize(
    ("panel_flavor", "row"),
    [pytest.param(row.flavor, row, id=row.id) for row in ACTION_ROWS],
)
async def test_action_fault(
    hass: HomeAssistant,
    *,
    caplog_debug: pytest.LogCaptureFixture,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    row: ActionRow,
) -> None:
    """The action raises the panel's reason, translated and naming the server; polling is fine."""
    server = server_at(simulator, row.index)
    before = entity_states(hass, init_integration)
    if row.fault is not None:
        simulator.inject_fault(row.fault)
    entity_id = entity_id_of(hass, "switch", server, "power")
    if row.service == SERVICE_SEND_COMMAND:
        call = (DOMAIN, SERVICE_SEND_COMMAND, {ATTR_ENTITY_ID: entity_id, "command": "say hi"})
    else:
        call = (SWITCH_DOMAIN, row.service, {ATTR_ENTITY_ID: entity_id})

    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(*call, blocking=True)

    assert raised.value.translation_key == row.translation_key
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders["server"] == server.name
    assert simulator.client_key not in str(raised.value)
    assert server.commands == []
    assert server.power_signals == []
    assert entity_states(hass, init_integration) == before
    assert init_integration.runtime_data.last_update_success
    assert own_warnings(caplog_debug) == []
    assert_key_never_leaked(hass, simulator, caplog_debug)


# A name that does not resolve (Home Assistant started before the network's DNS).


class SwitchableResolver:
    """Resolves the panel's name only while `working` is True, like a DNS server coming up."""

    def __init__(self, names: dict[str, str]) -> None:
        """Answer for these names (name -> IPv4 address)."""
        self.names = names
        self.working = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[dict[str, object]]:
        """Return the address, or fail as getaddrinfo does for an unknown name."""
        if not self.working or host not in self.names:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return [
            {
                "hostname": host,
                "host": self.names[host],
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        """Nothing to release."""

    real_close = close


async def test_dns_failure_at_setup(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    caplog_debug: pytest.LogCaptureFixture,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An unresolvable panel name retries setup in the background until it resolves."""
    assert simulator.url is not None
    port = simulator.url.rsplit(":", 1)[1]
    resolver = SwitchableResolver({"panel.example": "127.0.0.1"})
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_URL: f"http://panel.example:{port}"}
    )

    with patch("homeassistant.helpers.aiohttp_client._async_make_resolver", return_value=resolver):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
        assert mock_config_entry.reason is not None
        assert "Cannot connect to the panel" in mock_config_entry.reason
        assert simulator.api_requests() == []

        resolver.working = True
        await poll(hass, freezer, 60)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert STATE_UNAVAILABLE not in entity_states(hass, mock_config_entry).values()
    assert caplog_debug.text.count("not ready yet") == 1
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert_key_never_leaked(hass, simulator, caplog_debug)
