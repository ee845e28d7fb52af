"""The panel simulator in a process of its own, with a read-only view of its state for tests.

`python -m tests.e2e.panel --servers 4` prints one JSON line (URL and client key), then serves.
GET /_e2e/state returns each server's power state, the console commands it received, the
usages it reported lately (over HTTP or Wings' websocket) and who is on its game, so a test can
compare Home Assistant's states with what the panel and the games told it. The games answer
player queries on loopback, players coming and going on their own, as in scripts/develop.
"""

import argparse
import asyncio
from collections import deque
from collections.abc import Callable
import contextlib
import dataclasses
import json
import sys
import time
from typing import Any

import aiohttp
from aiohttp import web

from simulator import PanelSimulator, SimServer, Stats

STATE_PATH = "/_e2e/state"


# Home Assistant writes pushed usage at most every few seconds: keep more reports than that.
RECENT_REPORTS = 60


def record_stats(server: SimServer, served: dict[str, deque[dict[str, Any]]]) -> None:
    """Remember the usages the server reported lately, each time the panel or Wings asks."""
    stats: Callable[[float | None], Stats] = server.stats

    def recording(now: float | None = None) -> Stats:
        result = stats(now)
        served.setdefault(server.identifier, deque(maxlen=RECENT_REPORTS)).append(
            {
                **dataclasses.asdict(result),
                "state": result.state.value,
                "served_at": time.monotonic(),
            }
        )
        return result

    server.stats = recording  # type: ignore[method-assign]


async def serve(options: argparse.Namespace) -> None:
    """Start the simulator, print how to reach it, and serve until cancelled."""
    sim = PanelSimulator(
        servers=options.servers,
        running=options.running,
        start_seconds=options.start_seconds,
        stop_seconds=options.stop_seconds,
        games=True,
    )
    games = sim.games.games if sim.games is not None else {}
    served: dict[str, deque[dict[str, Any]]] = {}
    for server in sim.servers.values():
        record_stats(server, served)
        # Backups finish in two seconds of the panel's clock, whatever the disk's size.
        sim.set_backup_duration(server.identifier, 2.0)

    async def state(request: web.Request) -> web.Response:
        return web.json_response(
            {
                server.name: {
                    "identifier": server.identifier,
                    "power": server.power_state.value,
                    "commands": list(server.commands),
                    "recent_stats": list(served.get(server.identifier, ())),
                    "players": (
                        games[server.identifier].players() if server.identifier in games else None
                    ),
                    "backups": [
                        {"name": backup.name, "successful": backup.is_successful}
                        for backup in sim.backups_of(server.identifier)
                    ],
                }
                for server in sim.servers.values()
            }
        )

    sim.app.router.add_get(STATE_PATH, state)
    url = await sim.start("127.0.0.1", 0)
    sys.stdout.write(json.dumps({"url": url, "api_key": sim.client_key}) + "\n")
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


async def read_state(session: aiohttp.ClientSession, panel_url: str) -> dict[str, Any]:
    """Return the state the simulator process serves, by server name."""
    async with session.get(f"{panel_url}{STATE_PATH}") as response:
        response.raise_for_status()
        result: dict[str, Any] = await response.json()
        return result


def main() -> None:
    """Serve until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.panel")
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--running", type=int, default=1)
    parser.add_argument("--start-seconds", type=float, default=2.0)
    parser.add_argument("--stop-seconds", type=float, default=1.0)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
