"""The panel simulator in a child process, so its CPU time and event loop are not the client's."""

import asyncio
from collections import Counter
from dataclasses import dataclass
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any, Self

from simulator import PanelSimulator, PowerState

# The real panel caches a server's /resources answer for 20 s.
PANEL_CACHE_SECONDS = 20.0
# A rate limit no benchmark reaches: back-to-back refreshes of 200 servers would exceed the
# panel's 720 a minute and measure the limiter instead of the integrations.
UNLIMITED = 1_000_000


@dataclass(frozen=True, slots=True)
class SimSettings:
    """How to build the simulated panel."""

    servers: int
    latency_ms: float
    start_seconds: float = 1.0
    stop_seconds: float = 1.0
    running: int = 1
    resources_cache_seconds: float = PANEL_CACHE_SECONDS
    # The servers' games, in turn (empty: the default fleet's); every game answers player
    # queries on loopback, so the integration's queries reach a game, as they do for real.
    games: tuple[str, ...] = ()
    # Players on each running game from the start, who stay (0: they come and go on their own).
    players: int = 0


@dataclass(frozen=True, slots=True)
class SimServerInfo:
    """What a benchmark needs to know of one simulated server."""

    identifier: str
    uuid: str
    name: str
    power: str


@dataclass(frozen=True, slots=True)
class SimInfo:
    """The started panel: where it is, the key and its servers."""

    url: str
    client_key: str
    token_lifetime: float
    servers: list[SimServerInfo]


def _kind(path: str) -> str:
    """Name the API route a logged path belongs to, for per-route request counts."""
    if path == "/api/client":
        return "list"
    if path == "/api/client/account":
        return "account"
    tail = path.rsplit("/", 1)[-1]
    if tail in {
        "resources",
        "utilization",
        "power",
        "command",
        "websocket",
        "backups",
        "schedules",
    }:
        return tail
    return "server"


def build_panel(settings: SimSettings) -> PanelSimulator:
    """Return the panel `settings` describe, its games answering player queries."""
    sim = PanelSimulator(
        servers=0 if settings.games else settings.servers,
        seed=1,
        latency_ms=settings.latency_ms,
        rate_limit=UNLIMITED,
        running=settings.running,
        start_seconds=settings.start_seconds,
        stop_seconds=settings.stop_seconds,
        resources_cache_seconds=settings.resources_cache_seconds,
        games=True,
    )
    for index in range(settings.servers if settings.games else 0):
        game = settings.games[index % len(settings.games)]
        running = PowerState.RUNNING if index < settings.running else PowerState.OFFLINE
        sim.add_server(f"{game} {index + 1}", template=game, power=running)
    if sim.games is not None and settings.players:
        sim.games.set_autoplay(False)
        for model in sim.games.games.values():
            if model.running:
                for number in range(min(settings.players, model.max_players)):
                    model.join(f"Player{number + 1}")
    return sim


async def _serve(settings: SimSettings, conn: Connection) -> None:
    """Run the panel and answer the parent's commands until told to stop."""
    sim = build_panel(settings)
    url = await sim.start("127.0.0.1", 0)
    conn.send(
        SimInfo(
            url=url,
            client_key=sim.client_key,
            token_lifetime=sim.token_lifetime,
            servers=[
                SimServerInfo(s.identifier, s.uuid, s.name, s.power_state.value)
                for s in sim.servers.values()
            ],
        )
    )
    loop = asyncio.get_running_loop()
    try:
        while True:
            # The pipe blocks: read it in a thread so the panel keeps serving meanwhile.
            command, argument = await loop.run_in_executor(None, conn.recv)
            if command == "stop":
                break
            if command == "mark":
                conn.send(len(sim.requests))
            elif command == "counts":
                records = sim.requests[int(argument) :]
                kinds = (_kind(r.path) for r in records if r.path.startswith("/api/"))
                conn.send(dict(Counter(kinds)))
            elif command == "websockets":
                conn.send(sim.websocket_count())
            elif command == "power":
                conn.send({s.identifier: s.power_state.value for s in sim.servers.values()})
            else:
                conn.send(ValueError(f"unknown command {command!r}"))
    finally:
        await sim.stop()


def _main(settings: SimSettings, conn: Connection) -> None:
    """Child process entry point."""
    asyncio.run(_serve(settings, conn))


class SimulatorProcess:
    """A simulated panel served by a child process, controlled over a pipe."""

    def __init__(self, settings: SimSettings) -> None:
        """Prepare, without starting."""
        self.settings = settings
        # Spawn: a fresh interpreter, not a fork of one that may hold Home Assistant's threads.
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process: SpawnProcess = context.Process(
            target=_main, args=(settings, child), daemon=True
        )
        self._child = child
        self.info: SimInfo | None = None

    def start(self) -> SimInfo:
        """Start the panel and return where it listens."""
        self._process.start()
        self._child.close()
        if not self._conn.poll(60):
            raise RuntimeError("the simulator did not start within 60 s")
        info = self._conn.recv()
        if not isinstance(info, SimInfo):
            raise TypeError(f"unexpected answer from the simulator: {info!r}")
        self.info = info
        return info

    def _call(self, command: str, argument: object = None) -> Any:
        """Send a command and return the answer (blocking; only between measurements)."""
        self._conn.send((command, argument))
        answer = self._conn.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def mark(self) -> int:
        """Return the request log's length: a point to count requests from."""
        return int(self._call("mark"))

    def counts(self, since: int) -> dict[str, int]:
        """Return API requests by route since a mark."""
        return dict(self._call("counts", since))

    def websockets(self) -> int:
        """Return how many console websockets are open."""
        return int(self._call("websockets"))

    def power_states(self) -> dict[str, str]:
        """Return every server's power state as the panel holds it."""
        return dict(self._call("power"))

    def stop(self) -> None:
        """Stop the panel and wait for the process."""
        if self._process.is_alive():
            self._conn.send(("stop", None))
            self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()

    def __enter__(self) -> Self:
        """Start the panel."""
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the panel."""
        self.stop()
