"""Player queries at scale: the integration asks 200 running game servers who is on, round by round.

`scripts/bench-players` (`python -m benchmarks.players`) runs the simulator in a child process
(`benchmarks.simproc`, so its games' CPU is not counted), every server running a game that answers
player queries on loopback: Minecraft Java, Minecraft Bedrock and Source games in turn, each with
the same players on. This process runs Home Assistant (its test harness's core) with the
integration set up against it, and times rounds of the real PlayerTracker (`async_round`, what its
30 s timer runs): wall time, and CPU time of this process. The figures go to docs/benchmarks.md.
"""

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
import logging
import math
import statistics
import sys
import time
from typing import Final
from unittest.mock import patch

# The test harness ships no type information; its Home Assistant objects are typed by core.
from benchmarks.harness import config_entry, home_assistant
from benchmarks.report import add_report_options, machine, markdown_table, write_section
from benchmarks.simproc import SimSettings, SimulatorProcess
from custom_components.pterodactyl.const import (
    PLAYER_QUERY_CONCURRENCY,
    PLAYER_QUERY_INTERVAL,
    PLAYER_QUERY_TIMEOUT,
)
from custom_components.pterodactyl.players import PlayerTracker

SECTION: Final = "players"
# One game of each protocol the integration speaks, in turn (the simulator's fleet templates).
GAMES: Final = ("Survival", "Bedrock", "Valheim", "Rust", "Counter-Strike 2")
# The slowest entry set-up (200 servers, one request each) must still end.
SETUP_TIMEOUT: Final = 180.0


@dataclass(slots=True, kw_only=True)
class PlayerSettings:
    """What the run sets up."""

    servers: int = 200
    rounds: int = 20
    # Players on each game (games that fit fewer are full).
    players: int = 8


@dataclass(slots=True)
class Round:
    """One round: its wall and CPU time, and how many games answered."""

    wall: float
    cpu: float
    answered: int


@dataclass(slots=True)
class PlayerResult:
    """What the run saw."""

    settings: PlayerSettings
    asked: int = 0
    players_seen: int = 0
    rounds: list[Round] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def steady(self) -> list[Round]:
        """Return the rounds after the first (which writes every player sensor's first state)."""
        return self.rounds[1:] or self.rounds

    @property
    def wall_median(self) -> float:
        """Return the median wall time of a steady round."""
        return statistics.median(r.wall for r in self.steady) if self.rounds else math.nan

    @property
    def wall_max(self) -> float:
        """Return the longest round."""
        return max((r.wall for r in self.rounds), default=math.nan)

    @property
    def cpu_median(self) -> float:
        """Return the median CPU time of a steady round."""
        return statistics.median(r.cpu for r in self.steady) if self.rounds else math.nan

    @property
    def checks(self) -> dict[str, bool]:
        """Return each goal and whether it was met."""
        return {
            f"every one of the {self.settings.servers} servers asked": (
                self.asked == self.settings.servers
            ),
            "every game answered in every round": bool(self.rounds)
            and all(r.answered == self.asked for r in self.rounds),
            f"every round within the {PLAYER_QUERY_TIMEOUT:g} s a single game is given": (
                self.wall_max < PLAYER_QUERY_TIMEOUT
            ),
        }

    @property
    def passed(self) -> bool:
        """Return whether every goal was met."""
        return all(self.checks.values())


async def run(settings: PlayerSettings) -> PlayerResult:
    """Set the integration up against a panel whose every server runs a game; time rounds."""
    result = PlayerResult(settings)
    began = time.perf_counter()
    sim_settings = SimSettings(
        servers=settings.servers,
        latency_ms=0.0,
        running=settings.servers,
        games=GAMES,
        players=settings.players,
    )
    with SimulatorProcess(sim_settings) as sim:
        if sim.info is None:
            raise RuntimeError("the simulator did not start")
        async with home_assistant("pterodactyl-players-") as hass:
            # The longest interval: no poll of the panel falls into a measured round.
            entry = config_entry(
                sim.info.url, sim.info.client_key, "players", {"update_interval": 3600}
            )
            entry.add_to_hass(hass)
            # No websockets and no timer of the tracker's own: the rounds run alone.
            with (
                patch(
                    "custom_components.pterodactyl.coordinator."
                    "PterodactylCoordinator.async_start_push",
                    autospec=True,
                ),
                patch.object(PlayerTracker, "async_start", autospec=True),
            ):
                async with asyncio.timeout(SETUP_TIMEOUT):
                    if not await hass.config_entries.async_setup(entry.entry_id):
                        raise RuntimeError(f"set-up failed: {entry.state} {entry.reason}")
                    await hass.async_block_till_done()
            await _measure(entry.runtime_data.extras.players, settings, result)
            await hass.config_entries.async_unload(entry.entry_id)
    result.wall_seconds = time.perf_counter() - began
    return result


async def _measure(tracker: PlayerTracker, settings: PlayerSettings, result: PlayerResult) -> None:
    """Run the rounds back to back, as the tracker's timer would run them 30 s apart."""
    for _ in range(settings.rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        await tracker.async_round()
        # process_time counts every thread of this process: the event loop's work is all of it.
        result.rounds.append(
            Round(
                wall=time.perf_counter() - wall,
                cpu=time.process_time() - cpu,
                answered=sum(s.players is not None for s in tracker.by_server.values()),
            )
        )
    result.asked = sum(s.target is not None for s in tracker.by_server.values())
    result.players_seen = sum(
        s.players.online for s in tracker.by_server.values() if s.players is not None
    )


def markdown(result: PlayerResult, command: str) -> str:
    """Return the benchmark's section of docs/benchmarks.md."""
    settings = result.settings
    host = machine()
    first = result.rounds[0] if result.rounds else Round(math.nan, math.nan, 0)
    interval = PLAYER_QUERY_INTERVAL.total_seconds()
    rows = [
        ["game servers asked (all running)", f"{result.asked}"],
        ["players reported per round", f"{result.players_seen:,}"],
        ["a round, wall time (median)", f"{result.wall_median * 1000:.0f} ms"],
        ["a round, wall time (longest)", f"{result.wall_max * 1000:.0f} ms"],
        ["a round, CPU time (median)", f"{result.cpu_median * 1000:.0f} ms"],
        [
            "the first round (every player sensor's first state), wall (CPU)",
            f"{first.wall * 1000:.0f} ms ({first.cpu * 1000:.0f} ms)",
        ],
        [
            f"CPU share at one round every {interval:g} s",
            f"{result.cpu_median / interval:.2%} of one core",
        ],
        ["panel API requests", "none (the games are asked directly)"],
    ]
    goals = "\n".join(
        f"- **{'met' if ok else 'NOT MET'}**: {name}" for name, ok in result.checks.items()
    )
    return f"""## Player queries at scale (issue 12)

Generated by `{command}`; do not edit by hand. {settings.servers} game servers, all running, each
asked for its players by the integration's real `PlayerTracker`: {len(GAMES)} games in turn
(Minecraft Java, Minecraft Bedrock, and the Source games Valheim, Rust and Counter-Strike 2), each
with {settings.players} players on (or as many as it holds). {settings.rounds} rounds; it took
{result.wall_seconds:.0f} s on this machine.

{markdown_table(["measure", "value"], rows)}

### Goals

{goals}

### Method

The simulator runs in a child process (`benchmarks/simproc.py`), so neither its panel nor its
games count as the integration's CPU; every game answers its real protocol on a loopback port
(Server List Ping over TCP, RakNet's unconnected ping and A2S over UDP). This process runs Home
Assistant as its test harness builds it, with the integration set up against the panel; push and
the tracker's own timer are held back and the poll interval is an hour, so nothing else runs
during a round. A round is `PlayerTracker.async_round()`, what the tracker's timer runs every
{interval:g} s: every running server asked through mcstatus or python-a2s,
{PLAYER_QUERY_CONCURRENCY} at a time, each given {PLAYER_QUERY_TIMEOUT:g} s, and the answers
handed to the sensors and the join/leave events. Wall time is `time.perf_counter()`, CPU time
`time.process_time()` of this process. The players stay, so after the first round no sensor
changes: a round then costs its queries alone, as most rounds at home do.

Machine: {host["CPU"]}, {host["cores"]} cores, Python {host["Python"]}, Home Assistant
{host["Home Assistant"]}.
"""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.players", description=__doc__)
    defaults = PlayerSettings()
    parser.add_argument("--servers", type=int, default=defaults.servers)
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--players", type=int, default=defaults.players, help="on each game")
    add_report_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print the checks, write the report; exit 1 when a goal is not met."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = build_parser().parse_args(arguments)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = PlayerSettings(
        servers=options.servers, rounds=options.rounds, players=options.players
    )
    result = asyncio.run(run(settings))
    for name, ok in result.checks.items():
        print(f"{'PASS' if ok else 'FAIL'}: {name}")  # noqa: T201
    command = " ".join(["python -m benchmarks.players", *arguments])
    print(markdown(result, command))  # noqa: T201
    if not options.no_report:
        write_section(options.output, SECTION, markdown(result, command))
        print(f"wrote {options.output}")  # noqa: T201
    return 0 if result.passed else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
