"""One game server's game as its query port sees it: players, capacity and misbehaviour."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import random

from simulator.games.players import OnlinePlayer, Session
from simulator.games.spec import QueryProtocol, QuerySpec
from simulator.models import PowerState, SimServer


class Behaviour(StrEnum):
    """How the game answers a query (a test control; slowness is `GameModel.delay`)."""

    NORMAL = "normal"
    # Takes the query and never answers (a hung game, or a firewall dropping the reply).
    SILENT = "silent"
    # Answers bytes its protocol's clients cannot parse.
    GARBAGE = "garbage"


@dataclass(frozen=True, slots=True)
class GameStatus:
    """What a running game reports at `now` (sim clock)."""

    players: tuple[OnlinePlayer, ...]
    max_players: int
    now: float


class GameModel:
    """The game of one server: it answers only while the server's process is running."""

    # Players come and go on their own (`autoplay`, deterministic from the server's seed and
    # the clock) and when a test says so (`join`, `leave`); a stop or crash empties the game.

    def __init__(
        self, server: SimServer, spec: QuerySpec, *, autoplay: bool, notify: Callable[[], None]
    ) -> None:
        """Model `server`'s game; `notify` is called at every query received."""
        self.server = server
        self.spec = spec
        self.max_players = spec.max_players
        self.behaviour = Behaviour.NORMAL
        # Real seconds the game takes to answer each query (clients time out in real time).
        self.delay = 0.0
        # Connections or datagrams received, answered or not.
        self.requests = 0
        # Where the game answers its queries (host, port), once its responder is bound.
        self.address: tuple[str, int] | None = None
        # Draws that depend on the queries asked (Minecraft's sample, A2S challenges).
        self.rng = random.Random(server.seed)
        self._autoplay = autoplay
        self._notify = notify
        self._session: Session | None = None

    @property
    def protocol(self) -> QueryProtocol:
        """Return the protocol the game answers."""
        return self.spec.protocol

    @property
    def running(self) -> bool:
        """Return whether the server's process is running (only then does the game answer)."""
        return self.server.power_state is PowerState.RUNNING

    @property
    def autoplay(self) -> bool:
        """Return whether players come and go on their own."""
        return self._autoplay

    @autoplay.setter
    def autoplay(self, value: bool) -> None:
        """Let players come and go on their own, or freeze who is on (False)."""
        self._autoplay = value
        session = self._current()
        if session is not None:
            session.set_automatic(value, self.server.clock())

    def players(self) -> list[str]:
        """Return who is on now, in the order they joined (nobody while not running)."""
        status = self.status()
        return [] if status is None else [player.name for player in status.players]

    def status(self) -> GameStatus | None:
        """Return what the game reports now, None while the server is not running."""
        session = self._current()
        if session is None:
            return None
        now = self.server.clock()
        return GameStatus(tuple(session.players.values()), self.max_players, now)

    def join(self, name: str) -> None:
        """Bring a player on until `leave` (or the server stops); the game must be running."""
        session = self._current()
        if session is None:
            raise RuntimeError(f"{self.server.name} is not running")
        if name not in session.players and len(session.players) >= self.max_players:
            raise RuntimeError(f"{self.server.name} is full")
        session.join(name, self.server.clock())

    def leave(self, name: str) -> None:
        """Take a player off; KeyError when they are not on."""
        session = self._current()
        if session is None:
            raise KeyError(name)
        session.leave(name)

    def received(self) -> None:
        """Count a query and tell whoever waits on the simulator."""
        self.requests += 1
        self._notify()

    async def pause(self) -> None:
        """Take `delay` seconds before answering (a slow game)."""
        if self.delay > 0:
            await asyncio.sleep(self.delay)

    def _current(self) -> Session | None:
        """Return this run's players, played up to now; a new run (restart, crash) starts empty."""
        now = self.server.clock()
        booted = self.server.boot_time(now)
        if booted is None:
            self._session = None
        if booted is None or not self.running:
            return None
        if self._session is None or self._session.started != booted:
            rng = random.Random(f"{self.server.seed}:{booted!r}")
            self._session = Session(booted, rng, automatic=self._autoplay)
        self._session.advance(now, self.max_players)
        return self._session
