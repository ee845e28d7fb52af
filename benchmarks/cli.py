"""Run both integrations at each panel size, each in its own process, and report the ratios."""

import argparse
from collections.abc import Sequence
import importlib.util
import json
from pathlib import Path
import subprocess
import sys
import tempfile
import time

from benchmarks.report import (
    DEFAULT_OUTPUT,
    REPO_ROOT,
    Goal,
    evaluate_goals,
    machine,
    markdown,
    section,
    table,
)

DEFAULT_SIZES = (10, 50, 200)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description=(
            "Benchmark this integration against Home Assistant core's pterodactyl integration "
            "on the panel simulator, print a table and write docs/benchmarks.md."
        ),
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="smoke run: 10 servers, fewer refreshes and power actions; writes no file",
    )  # fmt: skip
    parser.add_argument(
        "--servers", type=int, nargs="+", default=None,
        help=f"panel sizes (default {' '.join(map(str, DEFAULT_SIZES))})",
    )  # fmt: skip
    parser.add_argument("--latency-ms", type=float, default=50.0, help="panel latency per request")
    parser.add_argument("--refreshes", type=int, default=5, help="refreshes timed (median)")
    parser.add_argument(
        "--power-trials", type=int, default=6,
        help="start actions timed, at the smallest size (0: none)",
    )  # fmt: skip
    parser.add_argument(
        "--power-spread", type=float, default=None,
        help="seconds the actions are spread over (default: each integration's poll interval)",
    )  # fmt: skip
    parser.add_argument(
        "--push-window", type=float, default=120.0,
        help="seconds to count our requests while push is live, at 50 servers (or the one size)",
    )  # fmt: skip
    parser.add_argument(
        "--panel-cache-seconds", type=float, default=20.0,
        help="how long the panel caches usage (the real panel: 20)",
    )  # fmt: skip
    parser.add_argument(
        "--only", choices=["ours", "core"], default=None, help="run one integration alone"
    )
    parser.add_argument(
        "--output", type=Path, default=None,
        help="markdown report (default docs/benchmarks.md, except with --quick or --only)",
    )  # fmt: skip
    return parser


def _run_one(
    integration: str, servers: int, options: argparse.Namespace, *, power: bool, push: bool
) -> dict[str, object]:
    """Measure one integration at one size in a fresh process; return its JSON result."""
    # Core at 200 servers takes about 20 s a refresh: three are enough for a stable median.
    refreshes = options.refreshes if integration == "ours" or servers < 200 else 3
    with tempfile.TemporaryDirectory(prefix="pterodactyl-bench-") as scratch:
        output = Path(scratch) / "result.json"
        command = [
            sys.executable, "-m", "benchmarks.run_one",
            "--integration", integration,
            "--servers", str(servers),
            "--latency-ms", str(options.latency_ms),
            "--refreshes", str(refreshes),
            "--panel-cache-seconds", str(options.panel_cache_seconds),
            "--json", str(output),
        ]  # fmt: skip
        if power and options.power_trials > 0:
            command += ["--power-trials", str(options.power_trials)]
            if options.power_spread is not None:
                command += ["--power-spread", str(options.power_spread)]
        if push and integration == "ours":
            command += ["--push-window", str(options.push_window)]
        print(f"  {integration:4} N={servers:<4}", end=" ", flush=True)  # noqa: T201
        started = time.monotonic()
        subprocess.run(command, check=True, cwd=REPO_ROOT)  # noqa: S603
        print(f"done in {time.monotonic() - started:.0f} s", flush=True)  # noqa: T201
        result: dict[str, object] = json.loads(output.read_text())
        return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the table and write the report."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = build_parser().parse_args(arguments)
    sizes = options.servers or ([10] if options.quick else list(DEFAULT_SIZES))
    if options.quick:
        options.refreshes = min(options.refreshes, 3)
        options.power_trials = min(options.power_trials, 3)
        options.push_window = min(options.push_window, 30.0)
    integrations = [options.only] if options.only else ["ours", "core"]
    if "core" in integrations and importlib.util.find_spec("pydactyl") is None:
        print(  # noqa: T201
            "py-dactyl is missing (core's integration needs it): run scripts/bench, or "
            "pip install -r benchmarks/requirements.txt in the environment",
            file=sys.stderr,
        )
        return 2
    power_size = min(sizes)
    push_size = 50 if 50 in sizes else power_size
    started = time.monotonic()
    results = [
        _run_one(
            integration,
            servers,
            options,
            power=servers == power_size,
            # The power rows are measured with push live too: that is how the product runs.
            push=servers in (push_size, power_size),
        )
        for servers in sizes
        for integration in integrations
    ]
    elapsed = time.monotonic() - started
    goals: list[Goal] = evaluate_goals(results) if len(integrations) == 2 else []
    text = table(results)
    print("\n" + text)  # noqa: T201
    for goal in goals:
        print(f"{'MET' if goal.met else 'NOT MET'}: {goal.name}: {goal.detail}")  # noqa: T201
    output = options.output
    if output is None and not options.quick and options.only is None:
        output = DEFAULT_OUTPUT
    if output is not None:
        command = " ".join(["scripts/bench", *arguments])
        # The soak's section is written by benchmarks.soak: keep it.
        soak = section(output.read_text(), "soak") if output.exists() else ""
        report = markdown(
            results, goals, host=machine(), command=command, options=options, elapsed=elapsed
        )
        output.write_text(f"{report.rstrip()}\n\n{soak}" if soak else report)
        print(f"\nwrote {output}")  # noqa: T201
    return 0
