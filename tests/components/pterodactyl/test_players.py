"""Players: each running game server asked with its own protocol, over loopback, for who is on."""

from dataclasses import replace
from datetime import timedelta
import logging

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.pterodactyl.const import (
    CONF_CONSOLE_EVENTS,
    CONF_GAME_QUERIES,
    EVENT_PLAYER_JOINED,
    EVENT_PLAYER_LEFT,
    PLAYER_QUERY_INTERVAL,
)
from simulator import PanelSimulator, PowerState, SimServer
from simulator.games import Behaviour

from .common import (
    CREATIVE,
    SURVIVAL,
    VALHEIM,
    coordinator_of,
    entity_id_of,
    server_at,
    settle,
    setup_entry,
    setup_platform,
    state_of,
    wait_for_events,
    wait_for_state,
)

pytestmark = pytest.mark.parametrize("panel_games", [True])


async def query_round(hass: HomeAssistant) -> None:
    """Let the next round of player queries run, and wait for its answers."""
    async_fire_time_changed(hass, dt_util.utcnow() + PLAYER_QUERY_INTERVAL + timedelta(seconds=1))
    await settle(hass)


def players_state(hass: HomeAssistant, server: SimServer) -> State:
    """Return the state of a server's Players online sensor."""
    entity_id = entity_id_of(hass, "sensor", server, "players_online")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state


@pytest.mark.parametrize("panel_flavor", ["v1", "pelican"])
async def test_player_sensors(
    hass: HomeAssistant,
    *,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Every server whose game can be asked gets the three sensors; names where listed."""
    survival = server_at(simulator, SURVIVAL)
    for player in ("Steve", "Alex"):
        simulator.game(survival.identifier).join(player)
    joined = async_capture_events(hass, EVENT_PLAYER_JOINED)
    await setup_platform(hass, mock_config_entry, Platform.SENSOR, simulator)
    await settle(hass)
    # The first list says who is on, not who came.
    assert joined == []

    entities = [
        entity
        for entity in er.async_entries_for_config_entry(entity_registry, mock_config_entry.entry_id)
        if entity.translation_key in {"players_online", "players_max", "empty_since"}
    ]
    for entity in entities:
        assert entity == snapshot(name=f"{entity.entity_id}-entry")
        assert hass.states.get(entity.entity_id) == snapshot(name=f"{entity.entity_id}-state")
    assert players_state(hass, survival).attributes["players"] == ["Alex", "Steve"]
    assert state_of(hass, "sensor", survival, "players_max") == "20"
    # Someone is on: the server is not empty.
    assert state_of(hass, "sensor", survival, "empty_since") == STATE_UNKNOWN


async def test_offline_servers_are_never_asked(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """A server that is not running has no players to ask for: its sensors are unavailable."""
    creative = server_at(simulator, CREATIVE)
    await query_round(hass)
    await query_round(hass)
    assert simulator.game(creative.identifier).requests == 0
    assert players_state(hass, creative).state == STATE_UNAVAILABLE
    assert simulator.game(server_at(simulator, SURVIVAL).identifier).requests > 0


async def test_joins_and_leaves_fire_events(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """A player who appears or goes between two queries fires an event, once."""
    survival = server_at(simulator, SURVIVAL)
    game = simulator.game(survival.identifier)
    joined = async_capture_events(hass, EVENT_PLAYER_JOINED)
    left = async_capture_events(hass, EVENT_PLAYER_LEFT)
    game.join("Steve")
    await query_round(hass)
    game.join("Alex")
    game.leave("Steve")
    await query_round(hass)
    await query_round(hass)

    assert [event.data["player"] for event in joined] == ["Steve", "Alex"]
    assert [event.data["player"] for event in left] == ["Steve"]
    event = joined[0].data
    assert event["name"] == "Survival"
    assert event["identifier"] == survival.identifier
    assert event["source"] == "query"
    assert event["device_id"] is not None
    assert players_state(hass, survival).state == "1"


async def test_console_tells_a_join_at_once(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """With console events on, Minecraft's "joined the game" fires at once; the query agrees."""
    survival = server_at(simulator, SURVIVAL)
    await setup_entry(hass, mock_config_entry, simulator, {CONF_CONSOLE_EVENTS: True})
    joined = async_capture_events(hass, EVENT_PLAYER_JOINED)
    left = async_capture_events(hass, EVENT_PLAYER_LEFT)

    simulator.game(survival.identifier).join("Steve")
    simulator.console_line(survival.identifier, "[12:00:01 INFO]: Steve joined the game")
    await wait_for_events(hass, EVENT_PLAYER_JOINED, joined, 1)
    assert joined[0].data["source"] == "console"
    await query_round(hass)
    simulator.game(survival.identifier).leave("Steve")
    simulator.console_line(survival.identifier, "\x1b[33m[12:05:00 INFO]: Steve left the game")
    await wait_for_events(hass, EVENT_PLAYER_LEFT, left, 1)
    await query_round(hass)

    assert [(e.data["player"], e.data["source"]) for e in joined] == [("Steve", "console")]
    assert [(e.data["player"], e.data["source"]) for e in left] == [("Steve", "console")]


async def test_empty_since(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """Empty since the start when nobody came; unknown while someone is on; then since they left."""
    creative = server_at(simulator, CREATIVE)
    before_start = dt_util.utcnow().replace(microsecond=0)
    simulator.set_state(creative.identifier, power=PowerState.RUNNING)
    await wait_for_state(hass, "sensor", creative, "state", "running")
    await query_round(hass)
    # Its start, or the first answer when its uptime is not known yet: nobody came in between.
    started = dt_util.parse_datetime(state_of(hass, "sensor", creative, "empty_since"))
    assert started is not None
    assert before_start <= started <= dt_util.utcnow()

    simulator.game(creative.identifier).join("Steve")
    await query_round(hass)
    assert state_of(hass, "sensor", creative, "empty_since") == STATE_UNKNOWN

    before_leaving = dt_util.utcnow()
    simulator.game(creative.identifier).leave("Steve")
    await query_round(hass)
    empty_since = dt_util.parse_datetime(state_of(hass, "sensor", creative, "empty_since"))
    assert empty_since is not None
    assert empty_since >= before_leaving.replace(microsecond=0)


async def test_empty_since_survives_a_restart(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A server still empty after Home Assistant restarts keeps the time it became empty."""
    survival = server_at(simulator, SURVIVAL)
    entity_id = f"sensor.{survival.name.lower()}_empty_since"
    became_empty = dt_util.utcnow() - timedelta(minutes=5)
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(entity_id, became_empty.isoformat()),
                {
                    "native_value": {
                        "__type": "<class 'datetime.datetime'>",
                        "isoformat": became_empty.isoformat(),
                    },
                    "native_unit_of_measurement": None,
                },
            )
        ],
    )
    await setup_entry(hass, mock_config_entry, simulator)

    assert entity_id_of(hass, "sensor", survival, "empty_since") == entity_id
    assert state_of(hass, "sensor", survival, "empty_since") == became_empty.isoformat(
        timespec="seconds"
    )


@pytest.mark.parametrize(
    ("behaviour", "logged"),
    [(Behaviour.SILENT, "is not answering"), (Behaviour.GARBAGE, "answered garbage")],
)
async def test_a_broken_game_is_said_once(
    hass: HomeAssistant,
    *,
    caplog: pytest.LogCaptureFixture,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    behaviour: Behaviour,
    logged: str,
) -> None:
    """A silent or garbled game: its sensors unavailable, said once in the log, others fine."""
    survival, creative = server_at(simulator, SURVIVAL), server_at(simulator, CREATIVE)
    simulator.set_state(creative.identifier, power=PowerState.RUNNING)
    await wait_for_state(hass, "sensor", creative, "state", "running")
    simulator.game(survival.identifier).behaviour = behaviour
    caplog.set_level(logging.INFO, "custom_components.pterodactyl")

    await query_round(hass)
    await query_round(hass)

    assert players_state(hass, survival).state == STATE_UNAVAILABLE
    assert state_of(hass, "sensor", survival, "state") == "running"
    assert players_state(hass, creative).state == "0"
    assert caplog.text.count(logged) == 1

    simulator.game(survival.identifier).behaviour = Behaviour.NORMAL
    await query_round(hass)
    assert players_state(hass, survival).state == "0"
    assert "answers its player query again" in caplog.text


async def test_a_stopped_server_has_no_players(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """When a server stops, its player sensors become unavailable at once, and events end."""
    survival = server_at(simulator, SURVIVAL)
    simulator.game(survival.identifier).join("Steve")
    await query_round(hass)
    assert players_state(hass, survival).state == "1"

    simulator.set_state(survival.identifier, power=PowerState.OFFLINE)
    await wait_for_state(hass, "sensor", survival, "state", "offline")

    assert players_state(hass, survival).state == STATE_UNAVAILABLE
    requests = simulator.game(survival.identifier).requests
    await query_round(hass)
    assert simulator.game(survival.identifier).requests == requests


@pytest.mark.parametrize(
    ("template", "players"),
    [
        ("Bedrock", None),
        ("Valheim", ["Ragnar"]),
        ("Rust", ["Ragnar"]),
        ("Counter-Strike 2", ["Ragnar"]),
    ],
)
async def test_every_protocol(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    template: str,
    players: list[str] | None,
) -> None:
    """Bedrock, and Source games on their query ports, answer through the real libraries."""
    server = simulator.add_server(template=template, power=PowerState.RUNNING)
    simulator.game(server.identifier).join("Ragnar")
    await setup_entry(hass, mock_config_entry, simulator)

    state = players_state(hass, server)
    assert state.state == "1"
    assert state.attributes.get("players") == players


async def test_servers_whose_game_is_unknown_get_no_player_sensors(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Terraria answers no query the integration knows: no sensors that could never have a value."""
    terraria = simulator.add_server(template="Terraria", power=PowerState.RUNNING)
    await setup_entry(hass, mock_config_entry, simulator)

    assert entity_id_of(hass, "sensor", terraria, "state") is not None
    assert entity_id_of(hass, "sensor", terraria, "players_online") is None


async def test_options_choose_the_protocol_and_address(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A server behind NAT: its query set by hand; another one's queries turned off."""
    valheim = server_at(simulator, VALHEIM)
    simulator.set_state(valheim.identifier, power=PowerState.RUNNING)
    host, port = simulator.game(valheim.identifier).address
    terraria = simulator.add_server(template="Terraria", power=PowerState.RUNNING)
    survival = server_at(simulator, SURVIVAL)
    simulator.game(valheim.identifier).join("Ragnar")
    options = {
        CONF_GAME_QUERIES: {
            terraria.uuid: {"protocol": "source", "address": f"{host}:{port}"},
            survival.uuid: {"protocol": "off"},
        }
    }
    await setup_entry(hass, mock_config_entry, simulator, options)

    assert players_state(hass, terraria).state == "1"
    assert entity_id_of(hass, "sensor", survival, "players_online") is None
    assert simulator.game(survival.identifier).requests == 0


async def test_a_restart_between_rounds_is_a_new_run(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """A server restarted between two rounds is empty since its new start, not its old one."""
    survival = server_at(simulator, SURVIVAL)
    await query_round(hass)
    assert state_of(hass, "sensor", survival, "empty_since") != "unknown"

    # Its uptime fell: it restarted since the last round.
    coordinator = coordinator_of(init_integration)
    data = coordinator.data.servers[survival.identifier]
    assert data.utilization is not None
    restarted = dt_util.utcnow().replace(microsecond=0) - timedelta(seconds=5)
    coordinator.write_server_data(
        survival.identifier,
        replace(
            data,
            started_at=restarted,
            utilization=replace(data.utilization, uptime_seconds=5.0),
        ),
    )
    await query_round(hass)

    # Nobody can have been on before the new start: empty since then.
    assert state_of(hass, "sensor", survival, "empty_since") == restarted.isoformat()
