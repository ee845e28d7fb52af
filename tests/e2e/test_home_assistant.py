"""Home Assistant with the integration, through its own REST and WebSocket APIs."""

import asyncio
from collections.abc import Awaitable, Callable
import json
from typing import Any

import pytest

from custom_components.pterodactyl.const import DOMAIN
from scripts.dashboard import (
    BACKUP_KEYS,
    BACKUPS_TITLE,
    DASHBOARD_KEYS,
    DASHBOARD_URL,
    PLAYER_KEYS,
    PLAYERS_TITLE,
    SCHEDULES_TITLE,
)
from scripts.develop import INTEGRATION_DIR
from scripts.ha_client import HomeAssistantClient
from scripts.provision import server_entities
from tests.e2e.conftest import Stack
from tests.e2e.panel import read_state

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

BYTES_PER_UNIT = {
    "B": 1,
    "kB": 1000,
    "KiB": 2**10,
    "MB": 10**6,
    "MiB": 2**20,
    "GB": 10**9,
    "GiB": 2**30,
}
ON_STATES = ("starting", "running")


async def state_of(ha: HomeAssistantClient, entity_id: str) -> dict[str, Any]:
    """Return an entity's state object."""
    result: dict[str, Any] = await ha.call("GET", f"/api/states/{entity_id}")
    return result


async def eventually[T](
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float = 30.0
) -> T:
    """Call `probe` until `done` accepts its result; fail with the last result after `within` s."""
    value = await probe()
    async with asyncio.timeout(within):
        while not done(value):
            await asyncio.sleep(0.25)
            value = await probe()
    return value


async def test_integration_loaded(stack: Stack, ha: HomeAssistantClient) -> None:
    """The entry is loaded, the integration is a component, and nothing failed to set up."""
    entries = await ha.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    assert [(e["entry_id"], e["state"]) for e in entries] == [(stack.entry_id, "loaded")]
    assert DOMAIN in (await ha.call("GET", "/api/config"))["components"]
    assert sorted(stack.servers) == ["Creative", "Rust", "Survival", "Valheim"]
    # No integration failed to load (none lacks a requirement: nothing is installed at runtime),
    # and the integration logged no error. (Others log that there is no ffmpeg binary.)
    errors = [
        line
        for line in stack.log.splitlines()
        if " ERROR " in line
        and any(
            f"[{name}" in line
            for name in (
                "homeassistant.setup",
                "homeassistant.loader",
                "homeassistant.config_entries",
                "homeassistant.requirements",
                "custom_components",
            )
        )
    ]
    assert errors == []
    assert "Setup failed for" not in stack.log


def matches(states: dict[str, dict[str, Any]], usage: dict[str, Any]) -> bool:
    """Say whether the entities show exactly this usage report of the panel."""
    if states["state"]["state"] != usage["state"] or states["power"]["state"] != (
        "on" if usage["state"] in ON_STATES else "off"
    ):
        return False
    for key, field in (("memory_usage", "memory_bytes"), ("disk_usage", "disk_bytes")):
        unit = states[key]["attributes"]["unit_of_measurement"]
        shown = float(states[key]["state"]) * BYTES_PER_UNIT[unit]
        if shown != pytest.approx(usage[field], rel=1e-6, abs=1):
            return False
    return float(states["cpu_utilization"]["state"]) == pytest.approx(
        usage["cpu_absolute"], abs=0.01
    )


async def test_entities_match_simulator(stack: Stack, ha: HomeAssistantClient) -> None:
    """Every server has its entities, showing exactly a usage the panel reported lately."""
    for name, entities in stack.servers.items():
        assert set(DASHBOARD_KEYS) <= set(entities)
        # Usage changes every second (pushed by Wings, written every few seconds): the states
        # must equal one of the recent reports, read again if a write happened in between.
        for _ in range(20):
            states = {key: await state_of(ha, entities[key]) for key in DASHBOARD_KEYS}
            recent = (await read_state(ha.session, stack.panel_url))[name]["recent_stats"]
            if any(matches(states, usage) for usage in recent):
                break
            await asyncio.sleep(0.5)
        else:
            pytest.fail(f"{name}: the entities show no usage the panel reported: {states}")
    running = (await read_state(ha.session, stack.panel_url))["Survival"]["recent_stats"]
    assert running[-1]["memory_bytes"] > 0  # the comparison above covered a running server too


async def test_players_match_the_game(stack: Stack, ha: HomeAssistantClient) -> None:
    """Survival's Players online shows who its game reports; the dashboard's card shows it."""
    survival = stack.servers["Survival"]

    async def shown_and_played() -> tuple[dict[str, Any], list[str]]:
        sensor = await state_of(ha, survival["players_online"])
        return sensor, (await read_state(ha.session, stack.panel_url))["Survival"]["players"]

    def agree(seen: tuple[dict[str, Any], list[str]]) -> bool:
        sensor, players = seen
        # Names are listed while everyone fits in Minecraft's sample.
        names: list[str] = sensor["attributes"].get("players", sorted(players))
        return bool(sensor["state"] == str(len(players)) and names == sorted(players))

    # Players come and go on their own; the sensor follows within a query (every 30 s).
    await eventually(shown_and_played, agree, within=90)
    # Rust is offline throughout: its game is never asked.
    assert (await state_of(ha, stack.servers["Rust"]["players_online"]))["state"] == "unavailable"
    config = await ha.ws_result({"type": "lovelace/config", "url_path": DASHBOARD_URL})
    card = next(c for c in config["views"][0]["cards"] if c.get("title") == PLAYERS_TITLE)
    assert [row["entity"] for row in card["entities"]] == [
        stack.servers[name][key] for name in sorted(stack.servers) for key in PLAYER_KEYS
    ]


async def test_switch_starts_and_stops_the_server(stack: Stack, ha: HomeAssistantClient) -> None:
    """Turning the switch on starts the simulated server; the states follow it both ways."""
    switch = stack.servers["Creative"]["power"]
    state_sensor = stack.servers["Creative"]["state"]
    assert (await state_of(ha, switch))["state"] == "off"

    await ha.call("POST", "/api/services/switch/turn_on", {"entity_id": switch})
    panel = await eventually(
        lambda: read_state(ha.session, stack.panel_url),
        lambda state: state["Creative"]["power"] == "running",
    )
    assert panel["Creative"]["power"] == "running"
    assert (await state_of(ha, switch))["state"] == "on"
    await eventually(lambda: state_of(ha, state_sensor), lambda s: s["state"] == "running")

    await ha.call("POST", "/api/services/switch/turn_off", {"entity_id": switch})
    await eventually(
        lambda: read_state(ha.session, stack.panel_url),
        lambda state: state["Creative"]["power"] == "offline",
    )
    await eventually(lambda: state_of(ha, switch), lambda s: s["state"] == "off")
    await eventually(lambda: state_of(ha, state_sensor), lambda s: s["state"] == "offline")


async def test_send_command_reaches_the_panel(stack: Stack, ha: HomeAssistantClient) -> None:
    """pterodactyl.send_command delivers the console line to the running server."""
    answer = await ha.ws(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "send_command",
            "service_data": {"command": "say Hello from the e2e test"},
            "target": {"entity_id": stack.servers["Survival"]["power"]},
        }
    )
    assert answer["success"], answer
    panel = await read_state(ha.session, stack.panel_url)
    assert panel["Survival"]["commands"][-1] == "say Hello from the e2e test"


async def test_offline_server_command_fails_translated(
    stack: Stack, ha: HomeAssistantClient
) -> None:
    """A command for an offline server fails with the translated explanation, and is not sent."""
    answer = await ha.ws(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "send_command",
            "service_data": {"command": "say nobody hears this"},
            "target": {"entity_id": stack.servers["Rust"]["power"]},
        }
    )
    strings = json.loads((INTEGRATION_DIR / "translations" / "en.json").read_text())
    # Home Assistant drops the final period of translated exception messages.
    expected = strings["exceptions"]["server_offline"]["message"].format(server="Rust").rstrip(".")
    assert not answer["success"]
    # A ServiceValidationError: the user's to fix, which Home Assistant says as such.
    assert answer["error"]["code"] == "service_validation_error"
    assert answer["error"]["translation_key"] == "server_offline"
    assert answer["error"]["message"] == f"Validation error: {expected}"
    assert (await read_state(ha.session, stack.panel_url))["Rust"]["commands"] == []


async def test_a_backup_through_home_assistant(stack: Stack, ha: HomeAssistantClient) -> None:
    """pterodactyl.create_backup makes the panel back Creative up; its end reaches the sensors."""
    answer = await ha.ws(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "create_backup",
            "service_data": {"name": "From the e2e test"},
            "target": {"entity_id": stack.servers["Creative"]["power"]},
        }
    )
    assert answer["success"], answer
    panel = await eventually(
        lambda: read_state(ha.session, stack.panel_url),
        lambda state: any(b["name"] == "From the e2e test" for b in state["Creative"]["backups"]),
    )
    assert panel["Creative"]["backups"][-1]["name"] == "From the e2e test"
    # Wings' `backup completed` (or the next read) ends it: the last backup is the new one.
    last = await eventually(
        lambda: state_of(ha, "sensor.creative_last_backup"),
        lambda state: state["attributes"].get("name") == "From the e2e test",
    )
    assert last["attributes"]["size_bytes"] > 0
    running = await state_of(ha, "binary_sensor.creative_backup_running")
    assert running["state"] == "off"


async def test_dashboard_follows_backups_and_schedules(
    stack: Stack, ha: HomeAssistantClient
) -> None:
    """Backups and schedules get cards; a schedule's button runs it; the cards follow renames."""

    async def cards() -> dict[str, dict[str, Any]]:
        config = await ha.ws_result({"type": "lovelace/config", "url_path": DASHBOARD_URL})
        return {card.get("title"): card for card in config["views"][0]["cards"]}

    shown = await eventually(cards, lambda c: BACKUPS_TITLE in c and SCHEDULES_TITLE in c)
    # Every server's backups are readable: the last one and the count, in the servers' order.
    servers, _ = await server_entities(ha, stack.entry_id)
    assert [row["entity"] for row in shown[BACKUPS_TITLE]["entities"]] == [
        servers[name][key] for name in sorted(servers) for key in BACKUP_KEYS
    ]
    # The panel's seeded schedules: Survival and Rust have two, Creative one, Valheim none.
    buttons = [row["entity"] for row in shown[SCHEDULES_TITLE]["entities"]]
    names = [(await state_of(ha, button))["attributes"]["friendly_name"] for button in buttons]
    assert sorted(names) == [
        "Creative Run Announcement",
        "Rust Run Nightly backup",
        "Rust Run Weekly restart",
        "Survival Run Nightly backup",
        "Survival Run Weekly restart",
    ]

    panel = await read_state(ha.session, stack.panel_url)
    before = {backup["name"] for backup in panel["Survival"]["backups"]}
    nightly = buttons[names.index("Survival Run Nightly backup")]
    await ha.call("POST", "/api/services/button/press", {"entity_id": nightly})
    # The schedule's one task backs Survival up on the panel.
    await eventually(
        lambda: read_state(ha.session, stack.panel_url),
        lambda state: bool({b["name"] for b in state["Survival"]["backups"]} - before),
    )

    # An entity ID changed in Home Assistant: the dashboard follows it.
    announcement = buttons[names.index("Creative Run Announcement")]
    renamed = "button.creative_announcement_now"
    await ha.ws_result(
        {
            "type": "config/entity_registry/update",
            "entity_id": announcement,
            "new_entity_id": renamed,
        }
    )
    try:
        await eventually(
            cards, lambda c: renamed in [row["entity"] for row in c[SCHEDULES_TITLE]["entities"]]
        )
    finally:
        await ha.ws_result(
            {
                "type": "config/entity_registry/update",
                "entity_id": renamed,
                "new_entity_id": announcement,
            }
        )
