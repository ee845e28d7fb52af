"""The development dashboard: a card per server, then players, backups and schedules."""

from collections.abc import Mapping
import re
from typing import Any, Final

DASHBOARD_TITLE: Final = "Game servers"
DASHBOARD_URL: Final = "game-servers"  # a dashboard of its own, in the sidebar
# Entities shown for each server, by their unique ID suffix (`{server uuid}_{key}`).
DASHBOARD_NAMES: Final = {
    "power": "Power",
    "state": "State",
    "cpu_utilization": "CPU",
    "memory_usage": "Memory",
    "disk_usage": "Disk",
}
DASHBOARD_KEYS: Final = tuple(DASHBOARD_NAMES)
# The players card: how many are on each game server, and since when it is empty.
PLAYERS_TITLE: Final = "Players"
PLAYER_KEYS: Final = ("players_online", "empty_since")
# The backups card: when each server's last good backup ended, and how many it keeps.
BACKUPS_TITLE: Final = "Backups"
BACKUP_KEYS: Final = ("last_backup", "backups")
# The schedules card: a "Run" button for every schedule of every server.
SCHEDULES_TITLE: Final = "Schedules"
SCHEDULE_BUTTON: Final = re.compile(r"schedule_\d+")


def dashboard(servers: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """Return the dashboard of `servers` (name -> {key: entity ID}): a view of cards."""
    cards = [
        *(_server_card(name, entities) for name, entities in sorted(servers.items())),
        *_players_card(servers),
        *_backups_card(servers),
        *_schedules_card(servers),
    ]
    return {
        "title": DASHBOARD_TITLE,
        "views": [{"title": DASHBOARD_TITLE, "path": "servers", "cards": cards}],
    }


def _server_card(name: str, entities: Mapping[str, str]) -> dict[str, Any]:
    """Return a server's card: power, state, CPU, memory, disk."""
    return {
        "type": "entities",
        "title": name,
        "state_color": True,
        "entities": [
            {"entity": entities[key], "name": DASHBOARD_NAMES[key]}
            for key in DASHBOARD_KEYS
            if key in entities
        ],
    }


def _players_card(servers: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """Return a glance card, two columns: each game server's players, since when it is empty."""
    rows = [
        {"entity": entities[key], "name": name if key == "players_online" else "Empty since"}
        for name, entities in sorted(servers.items())
        if all(key in entities for key in PLAYER_KEYS)
        for key in PLAYER_KEYS
    ]
    return [_glance(PLAYERS_TITLE, 2, rows)] if rows else []


def _backups_card(servers: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """Return a glance card, two columns: last backup (by server name, how long ago), kept."""
    rows = [
        row
        for name, entities in sorted(servers.items())
        if all(key in entities for key in BACKUP_KEYS)
        for row in (
            {"entity": entities["last_backup"], "name": name, "format": "relative"},
            {"entity": entities["backups"], "name": "Kept"},
        )
    ]
    return [_glance(BACKUPS_TITLE, 2, rows)] if rows else []


def _schedules_card(servers: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """Return an entities card of every schedule's button, which runs it now."""
    rows = [
        {"entity": entity_id}
        for _, entities in sorted(servers.items())
        for key, entity_id in sorted(entities.items())
        if SCHEDULE_BUTTON.fullmatch(key)
    ]
    if not rows:
        return []
    return [{"type": "entities", "title": SCHEDULES_TITLE, "entities": rows}]


def _glance(title: str, columns: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Return a glance card of `rows` without icons."""
    return {
        "type": "glance",
        "title": title,
        "columns": columns,
        "show_icon": False,
        "entities": rows,
    }
