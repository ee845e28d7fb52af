"""The soak's command line: run or render, print the checks, write JSON and the report."""

import argparse
import asyncio
from collections.abc import Sequence
import json
import logging
from pathlib import Path
import sys

from benchmarks import soak
from benchmarks.report import DEFAULT_OUTPUT, write_section
from benchmarks.soak.report import SECTION, markdown
from benchmarks.soak.results import Sample, SoakResult
from benchmarks.soak.run import run_soak
from benchmarks.soak.settings import SoakSettings
from benchmarks.virtual_time import VirtualTimeLoop


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    # The package's docstring tells what the soak does.
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=soak.__doc__)
    defaults = SoakSettings()
    parser.add_argument("--hours", type=float, default=defaults.hours, help="simulated hours")
    parser.add_argument("--servers", type=int, default=defaults.servers)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--events-per-hour", type=float, default=defaults.events_per_hour,
        help="random events a simulated hour",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="write the result as JSON")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT,
        help="markdown file whose soak section is rewritten (default docs/benchmarks.md)",
    )  # fmt: skip
    parser.add_argument("--no-report", action="store_true", help="write no markdown (the CI form)")
    parser.add_argument(
        "--render", type=Path, default=None, metavar="JSON",
        help="run nothing: write the report of a result saved with --json",
    )  # fmt: skip
    return parser


def _print_progress(sample: Sample) -> None:
    """Print one sample as the soak goes."""
    print(  # noqa: T201
        f"  {sample.minute / 60:6.2f} h  servers {sample.servers}  pushed {sample.pushed}  "
        f"tasks {sample.tasks}  sockets {sample.sockets}  "
        f"traced {sample.traced_bytes / 2**20:.1f} MiB  requests {sample.requests}",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak, print its checks, write the report; exit 1 when a check fails."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = build_parser().parse_args(arguments)
    logging.basicConfig(level=logging.CRITICAL, stream=sys.stderr)
    logging.getLogger().setLevel(logging.INFO)
    settings = SoakSettings(
        hours=options.hours,
        servers=options.servers,
        seed=options.seed,
        events_per_hour=options.events_per_hour,
    )
    if options.render is not None:
        result = SoakResult.from_json(json.loads(options.render.read_text()))
        arguments = [f"--hours {result.settings.hours:g}"]
    else:
        with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
            result = runner.run(run_soak(settings, _print_progress))
    for name, ok in result.checks.items():
        print(f"{'PASS' if ok else 'FAIL'}: {name}")  # noqa: T201
    for line in [*result.unhandled, *result.unexpected_errors, *result.wrong_states][:20]:
        print(f"  {line}")  # noqa: T201
    if options.json is not None:
        options.json.write_text(json.dumps(result.to_json(), indent=2, default=str))
    if not options.no_report:
        command = " ".join(["python -m benchmarks.soak", *arguments])
        write_section(options.output, SECTION, markdown(result, command))
        print(f"wrote {options.output}")  # noqa: T201
    return 0 if result.passed else 1
