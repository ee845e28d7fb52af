"""The table, the goals from issue 5, the machine, and docs/benchmarks.md."""

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
import importlib.metadata
import os
from pathlib import Path
import platform
import statistics
from typing import Any, Final, Literal

from homeassistant.const import __version__ as HA_VERSION  # noqa: N812

# Where the reports are written: each command rewrites its own section.
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "benchmarks.md"


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """Add --output (the markdown file whose section is rewritten) and --no-report."""
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT,
        help="markdown file whose section is rewritten (default docs/benchmarks.md)",
    )  # fmt: skip
    parser.add_argument("--no-report", action="store_true", help="write no markdown")


type Result = dict[str, Any]
type Alignment = Literal["left", "right", "center"]

# The rule under a table's header for each alignment: left is markdown's default.
_RULES: Final[dict[Alignment, str]] = {"left": "---", "right": "---:", "center": ":---:"}


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures of one integration at one size, read back from its JSON result."""

    integration: str
    servers: int
    interval: float
    wall: float
    cpu: float
    requests_per_refresh: float
    polling_per_hour: float
    push_per_hour: float | None
    push_sockets: int
    setup_wall: float
    running_delays: list[float]
    switch_delays: list[float]
    trials: int
    # Whether push was looked for at this size (ours): a push row is shown then.
    push_checked: bool

    @classmethod
    def of(cls, result: Result) -> Summary:
        """Read a run_one result."""
        derived = result["derived"]
        trials = result["power_trials"]
        return cls(
            integration=str(result["integration"]),
            servers=int(result["servers"]),
            interval=float(result["interval"]),
            wall=float(derived["wall_median"]),
            cpu=float(derived["cpu_median"]),
            requests_per_refresh=float(derived["requests_per_refresh"]),
            polling_per_hour=float(derived["polling_requests_per_hour"]),
            push_per_hour=(
                None
                if derived["push_requests_per_hour"] is None
                else float(derived["push_requests_per_hour"])
            ),
            push_sockets=int(result["push_sockets"]),
            setup_wall=float(result["setup_wall"]),
            running_delays=[
                float(t["running_delay"]) for t in trials if t["running_delay"] is not None
            ],
            switch_delays=[
                float(t["switch_delay"]) for t in trials if t["switch_delay"] is not None
            ],
            trials=len(trials),
            push_checked=float(result["push_window"]) > 0 or bool(result.get("push_asked")),
        )


@dataclass(frozen=True, slots=True)
class Goal:
    """One of issue 5's goals and whether the measurements meet it."""

    name: str
    met: bool
    detail: str


def _pairs(results: list[Result]) -> dict[int, dict[str, Summary]]:
    """Group summaries by panel size, then by integration."""
    grouped: dict[int, dict[str, Summary]] = {}
    for result in results:
        summary = Summary.of(result)
        grouped.setdefault(summary.servers, {})[summary.integration] = summary
    return grouped


def _ratio(core: float | None, ours: float | None) -> str:
    """Return core ÷ ours, as "12.3x"."""
    if core is None or ours is None or ours <= 0:
        return "-"
    return f"{core / ours:.1f}x"


def _delays(values: list[float], trials: int) -> str:
    """Return the median and range of delays, noting trials that never showed the change."""
    if not values:
        return "-" if trials == 0 else f"none within the cap ({trials} trials)"
    text = f"{statistics.median(values):.2f} s ({min(values):.1f} to {max(values):.1f})"
    missing = trials - len(values)
    return text + (f", {missing} over the cap" if missing else "")


def _median(values: list[float]) -> float | None:
    """Return the median, or None for no values."""
    return statistics.median(values) if values else None


@dataclass(frozen=True, slots=True)
class _Measure:
    """A row of the table: how to read a figure from a summary and how to show it."""

    name: str
    value: Callable[[Summary], float | None]
    show: Callable[[Summary], str]
    # What core's column says when core has no such thing; None shows core's own figure.
    core_text: str | None = None
    # Core's figure the ratio compares with (defaults to `value`).
    core_value: Callable[[Summary], float | None] | None = None
    applies: Callable[[Summary], bool] = lambda summary: True


_MEASURES = (
    _Measure("one full refresh, wall time (median)", lambda s: s.wall, lambda s: f"{s.wall:.3f} s"),
    _Measure(
        "CPU time per refresh (median, whole process)",
        lambda s: s.cpu,
        lambda s: f"{s.cpu * 1000:.1f} ms",
    ),
    _Measure(
        "API requests per refresh",
        lambda s: s.requests_per_refresh,
        lambda s: f"{s.requests_per_refresh:.0f}",
    ),
    _Measure(
        "API requests per hour, polling at defaults (ours 30 s, core 60 s)",
        lambda s: s.polling_per_hour,
        lambda s: f"{s.polling_per_hour:,.0f}",
    ),
    _Measure(
        "API requests per hour with push (core: polling)",
        lambda s: s.push_per_hour,
        lambda s: f"{s.push_per_hour:,.0f}" if s.push_per_hour is not None else "n/a: no websocket",
        core_value=lambda s: s.polling_per_hour,
        core_text="no push",
        applies=lambda s: s.push_checked,
    ),
    _Measure(
        "power action to running shown (median, range)",
        lambda s: _median(s.running_delays),
        lambda s: _delays(s.running_delays, s.trials),
        applies=lambda s: s.trials > 0,
    ),
    _Measure(
        "power action to switch on (median, range)",
        lambda s: _median(s.switch_delays),
        lambda s: _delays(s.switch_delays, s.trials),
        core_value=lambda s: _median(s.running_delays),
        core_text="no switch",
        applies=lambda s: s.trials > 0,
    ),
    _Measure(
        "entry set-up including the first refresh",
        lambda s: s.setup_wall,
        lambda s: f"{s.setup_wall:.2f} s",
    ),
)


def table(results: list[Result]) -> str:
    """Return the results as a markdown table, core ÷ ours in the last column."""
    rows: list[list[str]] = []
    for servers, pair in sorted(_pairs(results).items()):
        ours, core = pair.get("ours"), pair.get("core")
        for measure in _MEASURES:
            if not any(s is not None and measure.applies(s) for s in (ours, core)):
                continue
            ours_text = measure.show(ours) if ours is not None else "-"
            if core is None:
                core_text = "-"
            elif measure.core_text is not None:
                core_text = measure.core_text
            else:
                core_text = measure.show(core)
            core_value = measure.core_value or measure.value
            ratio = _ratio(
                core_value(core) if core is not None else None,
                measure.value(ours) if ours is not None else None,
            )
            rows.append([str(servers), measure.name, ours_text, core_text, ratio])
    return markdown_table(
        ["servers", "measure", "ours", "core", "core ÷ ours"],
        rows,
        ["right", "left", "right", "right", "right"],
    )


def evaluate_goals(results: list[Result]) -> list[Goal]:
    """Check issue 5's three goals against the measurements."""
    pairs = _pairs(results)
    goals = []
    refresh_size = 50 if 50 in pairs else min(pairs)
    pair = pairs[refresh_size]
    ratio = pair["core"].wall / pair["ours"].wall
    goals.append(
        Goal(
            f"one refresh of {refresh_size} servers at least 10x faster",
            ratio >= 10,
            f"{pair['core'].wall:.2f} s vs {pair['ours'].wall:.2f} s = {ratio:.1f}x",
        )
    )
    pushed = [p for p in pairs.values() if p["ours"].push_per_hour is not None]
    if pushed:
        p = pushed[0]
        push = p["ours"].push_per_hour or 0.0
        ratio = p["core"].polling_per_hour / push if push else float("inf")
        goals.append(
            Goal(
                "requests per hour at least 5x fewer with push",
                ratio >= 5,
                f"{p['core'].polling_per_hour:,.0f} vs {push:,.0f} per hour at "
                f"{p['ours'].servers} servers = {ratio:.1f}x",
            )
        )
    else:
        p = pairs[refresh_size]
        ratio = p["core"].polling_per_hour / p["ours"].polling_per_hour
        goals.append(
            Goal(
                "requests per hour at least 5x fewer with push",
                False,
                "not measurable: the integration opened no console websocket (push, issue 4, "
                f"is not in the coordinator yet); polling alone: {ratio:.2f}x",
            )
        )
    timed = [p for p in pairs.values() if p["ours"].trials and p["core"].trials]
    if timed:
        p = timed[0]
        ours_delay = _median(p["ours"].running_delays)
        core_delay = _median(p["core"].running_delays)
        switch_delay = _median(p["ours"].switch_delays)
        if ours_delay is None or core_delay is None:
            goals.append(Goal("state after a power action at least 20x sooner", False, "timed out"))
        else:
            ratio = core_delay / ours_delay
            switch = (
                f"; our switch shows it at once ({switch_delay:.2f} s, "
                f"{core_delay / switch_delay:.0f}x), before the panel confirms it"
                if switch_delay
                else ""
            )
            goals.append(
                Goal(
                    "state after a power action at least 20x sooner",
                    ratio >= 20,
                    f"core's Status binary sensor against our State sensor: {core_delay:.1f} s vs "
                    f"{ours_delay:.1f} s "
                    f"(medians) = {ratio:.1f}x{switch}",
                )
            )
    return goals


def machine() -> dict[str, str]:
    """Describe the machine the benchmark ran on."""
    cpu = platform.processor() or platform.machine()
    memory = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:  # noqa: PTH123
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="utf-8") as meminfo:  # noqa: PTH123
            for line in meminfo:
                if line.startswith("MemTotal"):
                    memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                    break
    except OSError:
        pass
    try:
        pydactyl = importlib.metadata.version("py-dactyl")
    except importlib.metadata.PackageNotFoundError:
        pydactyl = "not installed"
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Home Assistant": HA_VERSION,
        "py-dactyl": pydactyl,
    }


def markdown(
    results: list[Result],
    goals: list[Goal],
    *,
    host: dict[str, str],
    command: str,
    options: argparse.Namespace,
    elapsed: float,
) -> str:
    """Return docs/benchmarks.md."""
    goal_lines = "\n".join(
        f"- **{'met' if g.met else 'not met'}**: {g.name}: {g.detail}." for g in goals
    )
    host_lines = "\n".join(f"- {name}: {value}" for name, value in host.items())
    return f"""# Benchmark: this integration against Home Assistant core's

Generated by `{command}` in {elapsed / 60:.1f} minutes; do not edit by hand. The command sets the
environment up and installs `benchmarks/requirements.txt` (core's `py-dactyl`) when missing.
`scripts/bench --quick` is a one-minute smoke run that writes nothing.

{table(results)}

## Goals (issue 5)

{goal_lines}

## Machine

{host_lines}

## Method

- **Panel.** The simulator (`simulator/`, Pterodactyl 1.x API) runs in a child process with its
  own event loop, on loopback, so core's blocking `requests` calls in executor threads and our
  aiohttp calls reach it the same way, and its CPU time is not counted as the integration's.
  Every request sleeps {options.latency_ms:g} ms before it is answered. The panel caches each
  server's usage for {options.panel_cache_seconds:g} s, as the real panel does (20 s). Its rate
  limit is lifted: back-to-back refreshes of 200 servers would otherwise measure the limiter.
- **Home Assistant.** Each integration runs in a process of its own (both use the domain
  `pterodactyl`), in a real Home Assistant core created as its test harness does
  (`async_test_home_assistant`: config entries, registries, entity platforms; storage in
  memory), with a config entry as each config flow creates it. Ours is loaded from
  `custom_components/`; core's is the one Home Assistant ships, with py-dactyl as its manifest
  pins it.
- **Refresh.** `coordinator.async_refresh()`, as the coordinator's timer calls it,
  {options.refreshes} times back to back (3 for core at 200 servers, about 20 s each); the median
  is shown. It includes parsing and writing every entity's state. Wall time is
  `time.perf_counter()`; CPU time is `time.process_time()` of the whole process (core's executor
  threads included). Requests are counted from the simulator's request log.
- **Requests per hour (computed).** Requests per refresh as measured, times the refreshes an
  hour at default settings (core every 60 s, ours every 30 s), plus the server list reads (ours
  every 5 minutes, as many pages as measured at set-up; core only at set-up). With push: our
  API requests logged during a {options.push_window:g} s window once every console websocket is
  open, scaled to an hour, plus one token request per socket per token lifetime (10 minutes)
  and the 5-minute list reads; a safety poll slower than the window would be missed. Measured
  only when the integration keeps websockets open.
- **Power action (real time).** After a fresh poll, {options.power_trials} offline servers are
  started one by one at phases spread evenly over one poll interval of the integration (trial i
  at (i + 0.5)/trials of it), so the phases sample the interval rather than luck. Ours:
  `switch.turn_on`; core: its *Start* button. The delay runs from the action to the server's
  running shown: core's *Status* binary sensor turning on, our *State* sensor showing running
  (Status is disabled on new installs), and for ours also to the switch turning on. A
  simulated server takes 1 s to start. The wait is capped at 120 s. Real time rather than a
  driven clock, so that the panel's cache and both integrations' timers interact as in a home.

## Reading the results

- Core reads each server twice per refresh (details, then usage), one after another in an
  executor thread; ours reads usage only (the list every 5 minutes), 8 at a time, so a refresh
  takes about N/8 round trips instead of 2N.
- Without push, requests per hour are about equal: ours polls twice as often (30 s against
  60 s) with half the requests per poll. With push a watched server is not polled: it costs
  its token renewals and its share of the 5-minute list reads.
- After a power action our switch shows the expected state at once; the state waits for the
  panel. The panel's 20 s usage cache bounds what polling can see (the poll right after the
  action re-caches the state of that moment for 20 s); Wings' `status` event over the websocket
  bypasses the cache, so with push our State sensor follows about a second after the action.
"""


def markdown_table(
    headers: list[str], rows: list[list[str]], alignments: Sequence[Alignment] = ()
) -> str:
    """Return a markdown table: a header row, a rule, then the rows (columns left by default)."""
    rule = [_RULES[alignment] for alignment in alignments or ["left"] * len(headers)]
    lines = [headers, rule, *rows]
    return "\n".join(f"| {' | '.join(cells)} |" for cells in lines)


def replace_section(text: str, name: str, body: str) -> str:
    """Return `text` with its generated section `name` replaced by `body` (appended if absent).

    docs/benchmarks.md holds the comparison and the soak, each written by its own command: each
    rewrites its own section and keeps the other's.
    """
    start, end = _markers(name)
    block = f"{start}\n{body.strip()}\n{end}\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        # A blank line between this section and what follows, as between any two.
        return before + block + (f"\n{after}" if after else "")
    return f"{text.rstrip()}\n\n{block}" if text.strip() else block


def write_section(output: Path, name: str, body: str) -> None:
    """Rewrite the generated section `name` of the markdown file `output` (created if missing)."""
    text = output.read_text() if output.exists() else ""
    output.write_text(replace_section(text, name, body))


def section(text: str, name: str) -> str:
    """Return the generated section `name` of `text`, markers included ('' when absent)."""
    start, end = _markers(name)
    if start not in text or end not in text:
        return ""
    return start + text.split(start, 1)[1].split(end, 1)[0] + end + "\n"


def _markers(name: str) -> tuple[str, str]:
    """Return the comments that open and close a generated section."""
    return f"<!-- {name} -->", f"<!-- /{name} -->"
