"""Run Home Assistant with this integration, set up against the panel simulator or a real panel.

`scripts/develop` runs `python -m scripts.develop`; the end-to-end tests use the same pieces
(`seed_config`, `start_home_assistant`, `provision`) so both run Home Assistant the same way.
"""

import argparse
import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time
from typing import Any, Self

import aiohttp
from homeassistant.const import __version__ as ha_version

from scripts.dashboard import DASHBOARD_TITLE, DASHBOARD_URL, dashboard

REPO_ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_DIR = REPO_ROOT / "custom_components" / "pterodactyl"
DOMAIN = "pterodactyl"

DEFAULT_PORT = 8123
# Fixed, so the simulator's config entry (its unique ID includes the URL) survives restarts.
DEFAULT_SIMULATOR_PORT = 8124
DEFAULT_SERVERS = 4
DEFAULT_USERNAME = "dev"
DEFAULT_PASSWORD = "dev"  # noqa: S105 - a local development login, printed on start
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


class DevelopError(Exception):
    """Home Assistant did not come up, or refused a step of the set-up."""


@dataclass(frozen=True, slots=True)
class PanelTarget:
    """The panel the integration is configured against."""

    url: str
    api_key: str
    verify_ssl: bool = True


@dataclass(slots=True)
class Provisioned:
    """What `provision` set up: a logged-in client and the servers' entities."""

    client: HomeAssistantClient
    entry_id: str
    # Server (device) name -> {key: entity_id}, keys as in DASHBOARD_KEYS and the rest.
    servers: dict[str, dict[str, str]] = field(default_factory=dict)
    device_ids: dict[str, str] = field(default_factory=dict)


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


class HomeAssistantClient:
    """Home Assistant's REST and WebSocket APIs, as the frontend uses them."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        """Talk to the instance at `base_url`."""
        self.base_url = base_url.rstrip("/")
        self.client_id = f"{self.base_url}/"
        self.session = session
        self.access_token: str | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ws_id = 0

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}

    async def request(
        self, method: str, path: str, payload: Mapping[str, Any] | None = None
    ) -> tuple[int, Any]:
        """Call the REST API and return the status and the decoded body."""
        async with self.session.request(
            method, f"{self.base_url}{path}", json=payload, headers=self._headers
        ) as response:
            text = await response.text()
            try:
                body = json.loads(text) if text else None
            except ValueError:
                body = text
            return response.status, body

    async def call(self, method: str, path: str, payload: Mapping[str, Any] | None = None) -> Any:
        """Call the REST API and return the body; DevelopError unless it succeeded."""
        status, body = await self.request(method, path, payload)
        if status >= 400:
            raise DevelopError(f"{method} {path}: HTTP {status}: {body}")
        return body

    async def _token(self, code: str) -> None:
        async with self.session.post(
            f"{self.base_url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as response:
            if response.status != 200:
                raise DevelopError(f"token exchange: HTTP {response.status}")
            self.access_token = (await response.json())["access_token"]

    async def onboard(self, username: str, password: str) -> None:
        """Create the owner user through the onboarding API and finish onboarding."""
        result = await self.call(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": username.capitalize(),
                "username": username,
                "password": password,
                "language": "en",
            },
        )
        await self._token(result["auth_code"])
        for step, payload in (
            ("analytics", None),
            ("integration", {"client_id": self.client_id, "redirect_uri": self.client_id}),
        ):
            status, body = await self.request("POST", f"/api/onboarding/{step}", payload)
            if status not in (200, 403):  # 403: already done
                raise DevelopError(f"onboarding {step}: HTTP {status}: {body}")

    async def login(self, username: str, password: str) -> None:
        """Log in through the login flow, as the login page does."""
        flow = await self.call(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self.call(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
        )
        if result.get("type") != "create_entry":
            raise DevelopError(f"login as {username!r} refused: {result.get('errors')}")
        await self._token(result["result"])

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        """Open an authenticated WebSocket connection."""
        ws = await self.session.ws_connect(f"{self.base_url}/api/websocket")
        await ws.receive_json()  # auth_required
        await ws.send_json({"type": "auth", "access_token": self.access_token})
        auth = await ws.receive_json()
        if auth.get("type") != "auth_ok":
            await ws.close()
            raise DevelopError(f"WebSocket authentication failed: {auth}")
        return ws

    async def ws(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """Send a WebSocket command and return the whole answer (`success`, `result`/`error`)."""
        if self._ws is None:
            self._ws = await self._connect()
        self._ws_id += 1
        await self._ws.send_json({**message, "id": self._ws_id})
        while (received := await self._ws.receive()).type is aiohttp.WSMsgType.TEXT:
            answer: dict[str, Any] = json.loads(received.data)
            if answer.get("id") == self._ws_id and answer.get("type") == "result":
                return answer
        raise DevelopError(f"{message['type']}: Home Assistant closed the connection")

    async def events(self, event_type: str) -> AsyncIterator[dict[str, Any]]:
        """Yield {} once subscribed, then the data of every `event_type` event.

        On a connection of its own; the first yield lets a caller read what it follows without
        missing a change.
        """
        ws = await self._connect()
        try:
            await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": event_type})
            # Until Home Assistant closes the connection (it stopped).
            while (received := await ws.receive()).type is aiohttp.WSMsgType.TEXT:
                message: dict[str, Any] = json.loads(received.data)
                if message.get("type") == "result":
                    if not message.get("success"):
                        raise DevelopError(f"subscribe_events: {message.get('error')}")
                    yield {}
                if message.get("type") == "event":
                    yield message["event"]["data"]
        finally:
            await ws.close()

    async def ws_result(self, message: Mapping[str, Any]) -> Any:
        """Send a WebSocket command and return its result; DevelopError when it failed."""
        answer = await self.ws(message)
        if not answer["success"]:
            raise DevelopError(f"{message['type']}: {answer['error']}")
        return answer["result"]

    async def close(self) -> None:
        """Close the WebSocket connection."""
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def __aenter__(self) -> Self:
        """Use as an async context manager that closes the WebSocket."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the WebSocket."""
        await self.close()


async def wait_until_up(client: HomeAssistantClient, process: subprocess.Popen[bytes]) -> bool:
    """Wait for the HTTP server; return whether the owner user still has to be created."""
    while True:
        if process.poll() is not None:
            raise DevelopError(f"Home Assistant exited with status {process.returncode}")
        try:
            status, body = await client.request("GET", "/api/onboarding")
        except aiohttp.ClientError:
            await asyncio.sleep(0.25)
            continue
        if status == 404:  # onboarding done: its API is gone
            return False
        if status == 200:
            return not any(step["step"] == "user" and step["done"] for step in body)
        await asyncio.sleep(0.25)


async def wait_until_running(client: HomeAssistantClient) -> None:
    """Wait until Home Assistant has finished starting."""
    while True:
        if (await client.call("GET", "/api/config"))["state"] == "RUNNING":
            return
        await asyncio.sleep(0.25)


async def add_panel(client: HomeAssistantClient, panel: PanelTarget) -> str:
    """Add the panel through the config flow (unless configured) and return its entry ID."""
    flow = await client.call(
        "POST",
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
    )
    result = await client.call(
        "POST",
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"url": panel.url, "api_key": panel.api_key, "verify_ssl": panel.verify_ssl},
    )
    if result["type"] == "create_entry":
        return str(result["result"]["entry_id"])
    if result["type"] == "abort" and result["reason"] == "already_configured":
        entries = await client.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
        if len(entries) == 1:
            return str(entries[0]["entry_id"])
        # Several accounts: the flow does not say which one it matched; any loaded one will do.
        return str(next(e for e in entries if e["state"] == "loaded")["entry_id"])
    errors = result.get("errors") or result.get("reason")
    raise DevelopError(f"the panel at {panel.url} was refused: {errors}")


async def wait_for_entry(client: HomeAssistantClient, entry_id: str) -> None:
    """Wait until the config entry is loaded; DevelopError with its reason when it fails."""
    while True:
        entries = await client.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
        entry = next(e for e in entries if e["entry_id"] == entry_id)
        if entry["state"] == "loaded":
            return
        if entry["state"] in ("setup_error", "migration_error", "failed_unload"):
            raise DevelopError(f"the integration failed to set up: {entry.get('reason')}")
        await asyncio.sleep(0.25)


async def server_entities(
    client: HomeAssistantClient, entry_id: str
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Return each server's enabled entities by key, and its device ID, keyed by server name."""
    devices = {
        d["id"]: d["name_by_user"] or d["name"]
        for d in await client.ws_result({"type": "config/device_registry/list"})
        if entry_id in d["config_entries"]
    }
    servers: dict[str, dict[str, str]] = {name: {} for name in devices.values()}
    for entity in await client.ws_result({"type": "config/entity_registry/list"}):
        if (
            entity["config_entry_id"] != entry_id
            or entity["device_id"] not in devices
            or entity["disabled_by"] is not None
        ):
            continue
        key = entity["unique_id"].split("_", 1)[1]
        servers[devices[entity["device_id"]]][key] = entity["entity_id"]
    return servers, {name: device_id for device_id, name in devices.items()}


async def provision(
    client: HomeAssistantClient,
    process: subprocess.Popen[bytes],
    panel: PanelTarget,
    *,
    username: str = DEFAULT_USERNAME,
    password: str = DEFAULT_PASSWORD,
    expected_servers: int | None = None,
    within: float = 120.0,
) -> Provisioned:
    """Log in (onboarding on the first start), add the panel and write the dashboard."""
    step = "waiting for Home Assistant to answer"
    try:
        async with asyncio.timeout(within):
            if await wait_until_up(client, process):
                await client.onboard(username, password)
            else:
                await client.login(username, password)
            step = "waiting for Home Assistant to finish starting"
            await wait_until_running(client)
            step = "adding the panel"
            entry_id = await add_panel(client, panel)
            await wait_for_entry(client, entry_id)
            step = f"waiting for the entities of {expected_servers or 'all'} servers"
            while True:
                servers, device_ids = await server_entities(client, entry_id)
                complete = all("power" in entities for entities in servers.values())
                if complete and expected_servers in (None, len(servers)):
                    break
                await asyncio.sleep(0.25)
    except TimeoutError as err:
        raise DevelopError(f"timed out after {within:.0f} s {step}") from err
    await save_dashboard(client, servers)
    return Provisioned(client, entry_id, servers, device_ids)


async def save_dashboard(
    client: HomeAssistantClient, servers: Mapping[str, Mapping[str, str]]
) -> None:
    """Write the dashboard of `servers`, creating it in the sidebar the first time."""
    dashboards = await client.ws_result({"type": "lovelace/dashboards/list"})
    if not any(d["url_path"] == DASHBOARD_URL for d in dashboards):
        await client.ws_result(
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD_URL,
                "title": DASHBOARD_TITLE,
                "icon": "mdi:server",
                "show_in_sidebar": True,
                "require_admin": False,
                "mode": "storage",
            }
        )
    await client.ws_result(
        {"type": "lovelace/config/save", "url_path": DASHBOARD_URL, "config": dashboard(servers)}
    )


async def follow_dashboard(client: HomeAssistantClient, done: Provisioned) -> None:
    """Rewrite the dashboard whenever the entry's entities change, until cancelled.

    Backups and schedules are read after set-up, and servers come and go: their cards follow.
    """
    shown = done.servers
    try:
        async for _ in client.events("entity_registry_updated"):
            servers, _ = await server_entities(client, done.entry_id)
            if servers != shown:
                await save_dashboard(client, servers)
                shown = servers
    except (DevelopError, aiohttp.ClientError) as err:
        print(f"The dashboard no longer follows the entities: {err}", file=sys.stderr)  # noqa: T201


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
