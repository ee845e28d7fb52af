"""Run Home Assistant with this integration, set up against the panel simulator or a real panel.

`scripts/develop` runs `python -m scripts.develop`; the end-to-end tests use the same pieces
(`seed_config`, `start_home_assistant`, and `scripts.provision`) so both run Home Assistant the
same way.
"""

import argparse
import asyncio
from collections.abc import Sequence
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp
from homeassistant.const import __version__ as ha_version

from scripts.dashboard import DASHBOARD_URL
from scripts.ha_client import DevelopError, HomeAssistantClient
from scripts.provision import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    DOMAIN,
    PanelTarget,
    follow_dashboard,
    provision,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_DIR = REPO_ROOT / "custom_components" / "pterodactyl"

DEFAULT_PORT = 8123
# Fixed, so the simulator's config entry (its unique ID includes the URL) survives restarts.
DEFAULT_SIMULATOR_PORT = 8124
DEFAULT_SERVERS = 4
# Only what the dashboard and the integration need: `default_config` would set up dozens of
# integrations whose requirements we would then have to pin. The HTTP server's settings live in
# .storage/http (its YAML is deprecated, and changed settings would wait for confirmation).
CONFIGURATION_YAML = """\
# Written by scripts/develop; rewritten on every start.
homeassistant:
  name: Pterodactyl development
  latitude: 52.52
  longitude: 13.40
  elevation: 34
  unit_system: metric
  time_zone: UTC
  currency: EUR
  country: DE
  language: en
frontend:
config:
logger:
  default: warning
  logs:
    custom_components.pterodactyl: info
"""


def seed_config(config_dir: Path, *, port: int) -> None:
    """Write configuration.yaml, link the integration and skip the location step of onboarding."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(CONFIGURATION_YAML)
    link = config_dir / "custom_components" / DOMAIN
    link.parent.mkdir(exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    # Relative, so it resolves both on the host and inside the provisioned root.
    link.symlink_to(os.path.relpath(INTEGRATION_DIR, link.parent))
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    http = {
        "server_port": port,
        "server_host": ["127.0.0.1"],
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    write_store(
        storage / "http",
        "http",
        {"stable": http, "pending": None, "yaml_migration_done": True},
        version=2,
        minor_version=2,
    )
    onboarding = storage / "onboarding"
    if not onboarding.exists():
        # The location step is answered by configuration.yaml; marking it done here also keeps
        # its API from setting up the weather, radio and shopping list integrations.
        write_store(onboarding, "onboarding", {"done": ["core_config"]}, version=4)


def write_store(
    path: Path, key: str, data: dict[str, Any], *, version: int, minor_version: int = 1
) -> None:
    """Write a file of Home Assistant's .storage."""
    store = {"version": version, "minor_version": minor_version, "key": key, "data": data}
    path.write_text(json.dumps(store, indent=2))


def spawn(command: Sequence[str], *, log_file: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a child in its own session that dies with this process; output to `log_file`."""
    # Its own session keeps Ctrl-C away from it (we stop children in order); the parent-death
    # signal stops it even when this process is killed outright.
    if setpriv := shutil.which("setpriv"):
        command = [setpriv, "--pdeathsig", "SIGTERM", "--", *command]
    with log_file.open("ab") if log_file else open(os.devnull, "wb") as output:  # noqa: PTH123
        return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=REPO_ROOT, start_new_session=True, stdout=output, stderr=output
        )


def start_home_assistant(config_dir: Path, python: str = sys.executable) -> subprocess.Popen[bytes]:
    """Start `hass` of `python`'s environment on the config dir; it logs to home-assistant.log."""
    return spawn([python, "-m", "homeassistant", "--config", str(config_dir), "--skip-pip"])


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Ask a child to stop (SIGTERM); kill it if it takes longer than `timeout` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; the environment supplies a real panel's URL and key."""
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description="Run Home Assistant with this integration set up against the panel "
        "simulator, or against a real panel with --url and --api-key.",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("PTERODACTYL_HA_DEVELOP_URL"),
        help="a real panel's URL instead of the simulator (env PTERODACTYL_HA_DEVELOP_URL)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("PTERODACTYL_HA_DEVELOP_KEY"),
        help="the real panel's client API key (env PTERODACTYL_HA_DEVELOP_KEY)",
    )
    parser.add_argument(
        "--no-verify-ssl",
        action="store_true",
        help="accept the real panel's self-signed certificate",
    )
    parser.add_argument("--servers", type=int, default=DEFAULT_SERVERS, help="simulated servers")
    parser.add_argument("--flavor", default="v1", choices=["v1", "legacy", "pelican"])
    parser.add_argument("--latency-ms", type=float, default=0.0, help="simulated panel latency")
    parser.add_argument("--simulator-port", type=int, default=DEFAULT_SIMULATOR_PORT)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="Home Assistant's port")
    parser.add_argument(
        "--config",
        type=Path,
        help="configuration directory (default config/simulator or config/panel in the checkout)",
    )
    parser.add_argument("--fresh", action="store_true", help="start from an empty configuration")
    parser.add_argument(
        "--ha",
        metavar="RELEASE",
        help="another Home Assistant release than the pinned one, e.g. 2026.11.0, in an "
        "environment of its own (scripts/develop makes it) and a configuration of its own",
    )
    options = parser.parse_args(argv)
    if bool(options.url) != bool(options.api_key):
        parser.error("a real panel needs both --url and --api-key")
    if options.ha not in (None, ha_version):
        parser.error(f"this environment has Home Assistant {ha_version}, not {options.ha}")
    if options.config is None:
        # A newer release migrates the configuration it finds: keep the pinned one's apart.
        name = "panel" if options.url else "simulator"
        options.config = REPO_ROOT / "config" / (f"{name}-{options.ha}" if options.ha else name)
    return options


async def develop(options: argparse.Namespace) -> None:
    """Start the simulator (unless a real panel is given) and Home Assistant until cancelled."""
    from simulator import PanelSimulator  # noqa: PLC0415 - not needed for a real panel

    started = time.monotonic()
    simulator: PanelSimulator | None = None
    process: subprocess.Popen[bytes] | None = None
    try:
        if options.url:
            panel = PanelTarget(options.url, options.api_key, not options.no_verify_ssl)
        else:
            simulator = PanelSimulator(
                flavor=options.flavor,
                servers=options.servers,
                latency_ms=options.latency_ms,
                request_log_limit=10_000,
                # Its games answer player queries on loopback, players coming and going.
                games=True,
            )
            url = await simulator.start("127.0.0.1", options.simulator_port)
            panel = PanelTarget(url, simulator.client_key, verify_ssl=False)
            print(f"Panel simulator on {url} ({options.servers} servers, {options.flavor})")  # noqa: T201
        if options.fresh:
            shutil.rmtree(options.config, ignore_errors=True)
        seed_config(options.config, port=options.port)
        print(  # noqa: T201
            f"Starting Home Assistant {ha_version} on http://127.0.0.1:{options.port} "
            f"({options.config})"
        )
        process = start_home_assistant(options.config)
        async with (
            aiohttp.ClientSession() as session,
            HomeAssistantClient(f"http://127.0.0.1:{options.port}", session) as client,
        ):
            done = await provision(
                client,
                process,
                panel,
                expected_servers=None if options.url else options.servers,
                within=300,
            )
            print(  # noqa: T201
                f"\nReady in {time.monotonic() - started:.1f} s: "
                f"http://127.0.0.1:{options.port}/{DASHBOARD_URL}\n"
                f"  log in as {DEFAULT_USERNAME} / {DEFAULT_PASSWORD}\n"
                f"  panel: {panel.url} ({len(done.servers)} servers)\n"
                f"  Home Assistant log: {options.config / 'home-assistant.log'}\n"
                "Ctrl-C stops everything.",
                flush=True,
            )
            following = asyncio.create_task(follow_dashboard(client, done))
            try:
                await asyncio.to_thread(process.wait)
            finally:
                following.cancel()
        raise DevelopError(f"Home Assistant exited with status {process.returncode}")
    finally:
        if process is not None:
            print("Stopping Home Assistant...", flush=True)  # noqa: T201
            await asyncio.to_thread(stop_process, process)
        if simulator is not None:
            await simulator.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Run until Ctrl-C; 1 when Home Assistant could not be set up."""
    options = parse_args(argv)
    try:
        asyncio.run(develop(options))
    except KeyboardInterrupt:
        return 0
    except (DevelopError, OSError) as err:  # OSError: a port is taken
        print(f"error: {err}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
