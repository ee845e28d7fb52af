"""Who is on a running game: players that come and go on their own, and the ones a test sends."""

from dataclasses import dataclass
import math
import random

# Mean seconds between arrivals and mean stay (plus MIN_STAY): about seven players at a time.
MEAN_ARRIVAL = 90.0
MEAN_STAY = 600.0
MIN_STAY = 60.0

# Valid on every game (Minecraft: 3-16 characters of [A-Za-z0-9_]).
NAMES = (
    "Alex", "Steve", "Sigrid", "Ragnar", "Freya", "Bjorn", "Yuki", "Hana", "Lukas", "Emma",
    "Noah", "Olivia", "Mateo", "Zoe", "Ivan", "Anya", "Chen_Wei", "MeiLing", "Ravi", "Priya",
    "Kofi", "Amara", "Diego", "Lucia", "Finn", "Nora", "Oskar", "Ines", "Tariq", "Leila",
    "Sven", "Astrid", "Kai", "Luna", "Theo", "Maja", "Elias", "Ida", "Jonas", "Selma",
)  # fmt: skip


@dataclass(slots=True)
class OnlinePlayer:
    """A player on the game: since when (sim clock), until when (inf: until told to leave)."""

    name: str
    joined: float
    leaves: float = math.inf
    # Came on their own (so autoplay may send them away again).
    automatic: bool = False


class Session:
    """The players of one run of a game, from its container's start; a new run starts empty."""

    def __init__(self, started: float, rng: random.Random, *, automatic: bool) -> None:
        """Start empty at `started`; `automatic` lets players come and go on their own."""
        self.started = started
        self.players: dict[str, OnlinePlayer] = {}
        self._rng = rng
        self._next_arrival = math.inf
        self.automatic = False
        if automatic:
            self.set_automatic(True, started)

    def set_automatic(self, automatic: bool, now: float) -> None:
        """Let players come and go on their own from `now`, or freeze who is on."""
        self.automatic = automatic
        for player in self.players.values():
            if player.automatic:
                player.leaves = now + self._stay() if automatic else math.inf
        self._next_arrival = now + self._gap() if automatic else math.inf

    def advance(self, now: float, capacity: int) -> None:
        """Play the arrivals and departures up to `now`; a full game turns arrivals away."""
        while True:
            leaver = min(self.players.values(), key=lambda p: p.leaves, default=None)
            leave_at = math.inf if leaver is None else leaver.leaves
            if min(leave_at, self._next_arrival) > now:
                return
            if leaver is not None and leave_at <= self._next_arrival:
                del self.players[leaver.name]
                continue
            at = self._next_arrival
            if len(self.players) < capacity:
                name = self._free_name()
                self.players[name] = OnlinePlayer(name, at, at + self._stay(), automatic=True)
            self._next_arrival = at + self._gap()

    def join(self, name: str, now: float) -> None:
        """Put a player on until told to leave (already on: they stay, as a re-login does)."""
        if name not in self.players:
            self.players[name] = OnlinePlayer(name, now)

    def leave(self, name: str) -> None:
        """Take a player off; KeyError when they are not on."""
        del self.players[name]

    def _free_name(self) -> str:
        """Return a name nobody on the game has."""
        free = [name for name in NAMES if name not in self.players]
        if free:
            return self._rng.choice(free)
        number = len(self.players) + 1
        while f"Player{number}" in self.players:
            number += 1
        return f"Player{number}"

    def _gap(self) -> float:
        """Return the seconds until the next arrival."""
        return self._rng.expovariate(1 / MEAN_ARRIVAL)

    def _stay(self) -> float:
        """Return how long an arriving player stays."""
        return MIN_STAY + self._rng.expovariate(1 / MEAN_STAY)
