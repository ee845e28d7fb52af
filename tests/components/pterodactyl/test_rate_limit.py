"""The rate-limit budget: polling stays under the panel's limit, and every server still updates."""

from collections import Counter
from collections.abc import Callable
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pterodactyl.const import (
    ATTR_SIGNAL,
    DOMAIN,
    SERVICE_SEND_POWER_SIGNAL,
    TRANSITION_POLL_INTERVAL,
)
from simulator import ManualClock, PanelSimulator, PowerState, SimServer

from .common import SURVIVAL, entity_id_of, poll, server_at, settle, state_of
from .pushing import advance, all_live


@pytest.fixture
def websocket_push() -> bool:
    """Poll only: these tests are about the polling budget (the pushed case turns push on)."""
    return False


# Each test asks for `freezer` before `init_integration`: the setup then schedules its polls on
# the frozen clock, not on the real one, which the first move of the freezer would leave behind.

# Steps of simulated time: short enough that no poll is late by more than this.
STEP = 5.0


async def run_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: ManualClock, minutes: float
) -> None:
    """Let Home Assistant's and the panel's time pass together."""
    for _ in range(round(minutes * 60 / STEP)):
        clock.advance(STEP)
        await poll(hass, freezer, STEP)


def busiest_minute(simulator: PanelSimulator, path_contains: str = "") -> int:
    """Return the most API requests the panel saw in any minute starting at a request."""
    times = sorted(r.time for r in simulator.api_requests(path_contains=path_contains))
    return max(sum(1 for t in times[i:] if t < start + 60) for i, start in enumerate(times))


def refused(simulator: PanelSimulator) -> int:
    """Return how many requests the panel answered 429."""
    return sum(r.status == 429 for r in simulator.api_requests())


def usage_reads(simulator: PanelSimulator) -> Counter[str | None]:
    """Return how often each server's usage was read."""
    return Counter(
        r.server
        for r in simulator.api_requests()
        if r.path.endswith(("/resources", "/utilization"))
    )


def budget_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return what was logged about lengthening the interval, during setup too."""
    return [
        record.getMessage()
        for record in caplog.get_records("setup") + caplog.records
        if "to stay within the panel's" in record.getMessage()
    ]


def unavailable(hass: HomeAssistant) -> list[str]:
    """Return the integration's entities that are unavailable."""
    return [s.entity_id for s in hass.states.async_all() if s.state == STATE_UNAVAILABLE]


async def run_till(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    clock: ManualClock,
    done: Callable[[], bool],
    *,
    within: float,
    step: float = 1,
) -> float:
    """Let simulated time pass `step` at a time until `done`; return how much of it passed."""
    elapsed = 0.0
    while not done():
        assert elapsed < within, f"not done within {within} s"
        clock.advance(step)
        await poll(hass, freezer, step)
        elapsed += step
    return elapsed


async def act_on_all(
    hass: HomeAssistant, servers: list[SimServer], domain: str, service: str, data: dict[str, str]
) -> None:
    """Call one action on all the servers' switches, as a "stop all" automation does."""
    switches = [entity_id_of(hass, "switch", server, "power") for server in servers]
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: switches, **data}, blocking=True
    )


@pytest.mark.parametrize(("panel_flavor", "panel_servers"), [("pelican", 200)])
async def test_two_hundred_servers_polled_within_the_limit(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    panel_clock: ManualClock,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At 256 requests a minute, 200 servers are polled every 62 s, not 30: never a 429."""
    # 30 s polling would need 400 requests a minute.
    assert budget_messages(caplog) == [
        "Polling 200 servers every 62 s to stay within the panel's 256 requests a minute"
    ]
    simulator.requests.clear()
    await run_for(hass, freezer, panel_clock, 10)
    assert refused(simulator) == 0
    assert busiest_minute(simulator) <= 256
    reads = usage_reads(simulator)
    assert set(reads) == set(simulator.servers)
    # Every server, about once a minute.
    assert min(reads.values()) >= 9
    assert unavailable(hass) == []
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert diagnostics["panel"]["rate_limit"]["limit"] == 256
    assert diagnostics["coordinator"]["effective_update_interval"] == 62
    assert diagnostics["coordinator"]["requests_per_minute_budget"] == 204
    assert len(budget_messages(caplog)) == 1


@pytest.mark.parametrize(("panel_flavor", "panel_servers"), [("legacy", 10)])
async def test_legacy_usage_limit(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    panel_clock: ManualClock,
) -> None:
    """Panel 0.7 allows 15 usage reads a minute: 10 servers are polled every 62 s, not 30."""
    simulator.requests.clear()
    await run_for(hass, freezer, panel_clock, 10)
    assert refused(simulator) == 0
    assert busiest_minute(simulator, "/utilization") <= 15
    assert min(usage_reads(simulator).values()) >= 9
    assert unavailable(hass) == []


@pytest.mark.parametrize(("panel_flavor", "panel_servers"), [("legacy", 20)])
async def test_more_servers_than_a_minute_allows(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    panel_clock: ManualClock,
) -> None:
    """20 servers on 0.7, 12 usage reads a minute: 12 a poll, the least recently read first."""
    # Setup read 12; the others get their entities a minute later.
    assert len(usage_reads(simulator)) == 12
    await run_for(hass, freezer, panel_clock, 10)
    assert refused(simulator) == 0
    assert busiest_minute(simulator, "/utilization") <= 15
    assert min(usage_reads(simulator).values()) >= 4
    assert all(
        entity_id_of(hass, "sensor", server, "state") is not None
        for server in simulator.servers.values()
    )
    assert unavailable(hass) == []


@pytest.mark.parametrize(("panel_flavor", "panel_servers"), [("pelican", 5)])
async def test_few_servers_keep_the_configured_interval(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    panel_clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Within the limit, the interval is the configured 30 s, and nothing is logged about it."""
    simulator.requests.clear()
    await run_for(hass, freezer, panel_clock, 5)
    assert min(usage_reads(simulator).values()) >= 10
    assert budget_messages(caplog) == []
    assert not [
        r for r in caplog.records if r.levelno >= logging.WARNING and "pterodactyl" in r.name
    ]


@pytest.mark.freeze_time(tick=True)
@pytest.mark.parametrize(
    ("panel_flavor", "panel_servers", "websocket_push"), [("pelican", 20, True)]
)
async def test_pushed_servers_cost_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    panel_clock: ManualClock,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Polling 20 servers would need 31 s at 50 requests a minute; pushed, they need none.

    Pelican's token answers say `X-RateLimit-Limit: 5` (its per-server token limit): the budget
    and the pacing stay the account's.
    """
    simulator.rate_limit = 50
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await settle(hass)
    # Before the sockets are up, every server is polled.
    assert budget_messages(caplog) == [
        "Polling 20 servers every 31 s to stay within the panel's 50 requests a minute"
    ]
    await all_live(mock_config_entry, simulator)
    await advance(hass, freezer, panel_clock, 1)
    simulator.requests.clear()
    await advance(hass, freezer, panel_clock, 3)
    assert refused(simulator) == 0
    assert usage_reads(simulator) == Counter()
    assert unavailable(hass) == []
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    assert diagnostics["coordinator"]["effective_update_interval"] == 30
    assert diagnostics["coordinator"]["requests_per_minute_budget"] == 40
    assert diagnostics["panel"]["rate_limit"]["limit"] == 50


@pytest.mark.parametrize(("panel_flavor", "panel_servers"), [("pelican", 60)])
@pytest.mark.parametrize(
    ("stopped", "domain", "service", "data", "interval"),
    [
        # 50 servers in the 52 requests a minute the budget leaves would be read every 62 s:
        # they are read by the full polls, every 30 s.
        (50, SWITCH_DOMAIN, SERVICE_TURN_OFF, {}, 30),
        (50, DOMAIN, SERVICE_SEND_POWER_SIGNAL, {ATTR_SIGNAL: "stop"}, 30),
        (10, SWITCH_DOMAIN, SERVICE_TURN_OFF, {}, 13),
    ],
    ids=["50-switch", "50-send_power_signal", "10-switch"],
)
async def test_stopping_many_servers_stays_within_the_limit(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    panel_clock: ManualClock,
    stopped: int,
    domain: str,
    service: str,
    data: dict[str, str],
    interval: int,
) -> None:
    """Stopping 50 (or 10) of 60 polled servers at once: no 429, each shows offline soon after."""
    coordinator = init_integration.runtime_data
    servers = list(simulator.servers.values())[:stopped]
    for server in servers:
        simulator.set_state(server.identifier, power=PowerState.RUNNING)
        # Saving their worlds: fast polling lasts long enough to matter.
        server.stop_seconds = 20
    await run_for(hass, freezer, panel_clock, 1)
    assert {state_of(hass, "sensor", server, "state") for server in servers} == {"running"}
    simulator.requests.clear()

    await act_on_all(hass, servers, domain, service, data)
    assert coordinator.update_interval.total_seconds() == interval
    await run_till(
        hass,
        freezer,
        panel_clock,
        lambda: {state_of(hass, "sensor", server, "state") for server in servers} == {"offline"},
        within=35,
    )
    assert coordinator.update_interval == coordinator.planner.effective_interval
    await run_for(hass, freezer, panel_clock, 2)

    assert refused(simulator) == 0
    assert busiest_minute(simulator) <= 256
    assert [server.power_signals for server in servers] == [["stop"]] * stopped
    assert unavailable(hass) == []


@pytest.mark.parametrize(("panel_flavor", "panel_servers"), [("pelican", 60)])
async def test_one_server_is_followed_every_two_seconds(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    panel_clock: ManualClock,
) -> None:
    """The headroom of 256 requests a minute reads one server under a power action every 2 s."""
    coordinator = init_integration.runtime_data
    survival = server_at(simulator, SURVIVAL)
    survival.stop_seconds = 20
    await act_on_all(hass, [survival], SWITCH_DOMAIN, SERVICE_TURN_OFF, {})
    assert coordinator.update_interval == TRANSITION_POLL_INTERVAL
    simulator.requests.clear()

    # In steps of the interval: the test harness fires a poll up to a second early.
    step = TRANSITION_POLL_INTERVAL.total_seconds()
    took = await run_till(
        hass,
        freezer,
        panel_clock,
        lambda: state_of(hass, "sensor", survival, "state") == "offline",
        within=25,
        step=step,
    )

    assert 20 <= took <= 22
    assert usage_reads(simulator) == {survival.identifier: took / step}
    assert refused(simulator) == 0


@pytest.mark.parametrize(("panel_flavor", "panel_servers"), [("legacy", 12)])
async def test_legacy_power_actions_within_the_usage_limit(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    panel_clock: ManualClock,
) -> None:
    """On 0.7, fast polls get the 3 usage reads a minute that 12 servers' full polls leave."""
    coordinator = init_integration.runtime_data
    servers = list(simulator.servers.values())
    # Saving a big world: the server is followed for half a minute.
    servers[0].stop_seconds = 30
    simulator.requests.clear()

    # One server is followed every 21 s: every 10 s, its 6 reads a minute and the full poll's
    # 12 would pass 15.
    await act_on_all(hass, servers[:1], SWITCH_DOMAIN, SERVICE_TURN_OFF, {})
    assert coordinator.update_interval.total_seconds() == 21
    await run_for(hass, freezer, panel_clock, 2)
    # Three at once would need 62 s, no faster than the full polls: they are read with those.
    await act_on_all(hass, servers[1:4], DOMAIN, SERVICE_SEND_POWER_SIGNAL, {ATTR_SIGNAL: "start"})
    assert coordinator.update_interval == coordinator.planner.effective_interval
    await run_for(hass, freezer, panel_clock, 3)

    assert refused(simulator) == 0
    assert busiest_minute(simulator, "/utilization") <= 15
    assert state_of(hass, "sensor", servers[0], "state") == "offline"
    assert {state_of(hass, "sensor", s, "state") for s in servers[1:4]} == {"running"}
    assert unavailable(hass) == []
