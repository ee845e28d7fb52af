"""Command line: `python -m simulator --servers N --flavor v1|legacy|pelican ...`."""

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
import ssl
import sys
from typing import TextIO

from simulator.flavors import Flavor
from simulator.models import SimServer
from simulator.panel import PanelSimulator


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Serve a simulated Pterodactyl/Pelican panel client API.",
    )
    parser.add_argument("--servers", type=int, default=3, help="number of servers (default 3)")
    parser.add_argument(
        "--flavor", choices=[f.value for f in Flavor], default=Flavor.V1.value,
        help="panel to imitate (default v1)",
    )  # fmt: skip
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to requests")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one")
    parser.add_argument(
        "--rate-limit", type=int, default=None,
        help="client API requests per minute (default: v1 720, pelican 256, legacy 240)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed for ids, keys and statistics")
    parser.add_argument("--running", type=int, default=1, help="servers running at start")
    parser.add_argument("--start-seconds", type=float, default=3.0, help="time spent starting")
    parser.add_argument("--stop-seconds", type=float, default=2.0, help="time spent stopping")
    parser.add_argument(
        "--require-2fa", action="store_true", help="refuse client routes until 2FA is enabled"
    )
    parser.add_argument(
        "--games", action="store_true",
        help="each game answers player queries (Minecraft, Source) on a 127.0.0.1 port",
    )  # fmt: skip
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain)")
    parser.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and check the command line."""
    parser = build_parser()
    options = parser.parse_args(argv)
    if options.servers < 0:
        parser.error("--servers must be 0 or more")
    if not 0 <= options.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if options.latency_ms < 0:
        parser.error("--latency-ms must be 0 or more")
    if (options.tls_cert is None) != (options.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    return options


def ssl_context_from(options: argparse.Namespace) -> ssl.SSLContext | None:
    """Return the server TLS context the options ask for, None for plain HTTP."""
    if options.tls_cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(options.tls_cert, options.tls_key)
    return context


def simulator_from(options: argparse.Namespace) -> PanelSimulator:
    """Return the simulator the options describe."""
    return PanelSimulator(
        flavor=options.flavor,
        servers=options.servers,
        seed=options.seed,
        latency_ms=options.latency_ms,
        rate_limit=options.rate_limit,
        running=options.running,
        start_seconds=options.start_seconds,
        stop_seconds=options.stop_seconds,
        require_2fa=options.require_2fa,
        request_log_limit=10_000,
        games=options.games,
    )


def server_line(sim: PanelSimulator, server: SimServer) -> str:
    """Return how `serve` shows a server: id, name, game, state, and where its game answers."""
    line = f"server: {server.identifier} {server.name} ({server.game}) {server.power_state.value}"
    game = sim.games.games.get(server.identifier) if sim.games is not None else None
    if game is None or game.address is None:
        return line
    host, port = game.address
    return f"{line} query: {game.protocol.value} {host}:{port}"


async def serve(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> None:
    """Start the simulator, print how to reach it, and serve until cancelled."""
    options = parse_args(argv)
    stream = out if out is not None else sys.stdout
    sim = simulator_from(options)
    url = await sim.start(options.host, options.port, ssl_context=ssl_context_from(options))
    try:
        lines = [
            f"panel_url: {url}",
            f"client_api_key: {sim.client_key}",
            f"application_api_key: {sim.application_key}",
            f"flavor: {sim.flavor.value}  rate_limit: {sim.rate_limit}/min",
        ]
        lines += [server_line(sim, server) for server in sim.servers.values()]
        stream.write("\n".join(lines) + "\n")
        stream.flush()
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator until Ctrl-C."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(argv))
    return 0
