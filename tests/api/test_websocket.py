"""The Wings websocket client against the panel simulator over loopback."""

import asyncio
import base64
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
import logging
from pathlib import Path
import random
from typing import Any

import aiohttp
import pytest
from yarl import URL

from custom_components.pterodactyl.api import (
    PowerSignal,
    PterodactylClient,
    ServerState,
    ServerStats,
    WebsocketCredentials,
)
from custom_components.pterodactyl.api.parsing import parse_websocket_credentials
from custom_components.pterodactyl.api.websocket import (
    Backoff,
    ConnectionState,
    ServerSocket,
    TokenLimiter,
)
from simulator import Fault, FaultKind, Flavor, ManualClock, PanelSimulator, WingsSettings
from tests.certificates import make_certificate

pytestmark = pytest.mark.usefixtures("socket_enabled")

FAST_BACKOFF = Backoff(initial=0.01, maximum=0.04)
TASK_PREFIX = "pterodactyl websocket"
HEARTBEAT = 0.05
# How long a wait may take before the test fails: a guard against a hang, never a measure of
# speed. Generous, for a loaded CI machine.
WAIT_TIMEOUT = 30.0
WEBSOCKET_LOGGER = "custom_components.pterodactyl.api"


def fast_wings() -> WingsSettings:
    """Return fresh socket timings fast enough for tests (tests change them freely)."""
    return WingsSettings(
        stats_interval=0.05,
        token_check_interval=0.05,
        state_check_interval=0.01,
        console_interval=None,
    )


class Changes:
    """Conditions waited for, looked at again each time `changed()` says something changed."""

    def __init__(self) -> None:
        """Start with nobody waiting."""
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    def changed(self) -> None:
        """Look at every waiter's condition again."""
        for condition, future in self._waiters:
            if not future.done() and condition():
                future.set_result(None)

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Return once `condition()` holds, looked at now and at every change."""
        if condition():
            return
        waiter = (condition, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(WAIT_TIMEOUT):
                await waiter[1]
        finally:
            self._waiters.remove(waiter)


class Recorder(Changes):
    """Collects what a ServerSocket reports; waits look again at every report."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.states: list[ServerState] = []
        self.stats: list[ServerStats] = []
        self.lines: list[str] = []
        self.connection: list[ConnectionState] = []

    def callbacks(self) -> dict[str, Any]:
        """Return the constructor's callback arguments."""
        return {
            "on_state": self._add(self.states),
            "on_stats": self._add(self.stats),
            "on_console": self._add(self.lines),
            "on_connection": self._add(self.connection),
        }

    def _add[T](self, target: list[T]) -> Callable[[T], None]:
        """Return a callback appending to `target`, then waking the waits."""

        def add(value: T) -> None:
            target.append(value)
            self.changed()

        return add

    async def connected(self, times: int = 1) -> None:
        """Wait until the socket reported CONNECTED `times` times."""
        await self.wait_for(lambda: self.connection.count(ConnectionState.CONNECTED) >= times)


async def wait_for_panel(sim: PanelSimulator, condition: Callable[[], bool]) -> None:
    """Return once `condition()` holds; looked at again at every request and socket event."""
    async with asyncio.timeout(WAIT_TIMEOUT):
        await sim.async_wait_for(condition)


def received(sim: PanelSimulator, identifier: str) -> list[str]:
    """Return the latest frames Wings received on the server's sockets."""
    return sim.wings.received.get(identifier, [])


class LogWatch(logging.Handler, Changes):
    """Keeps the messages a logger logs, down to debug; waits look again at every message."""

    def __init__(self) -> None:
        """Start empty."""
        logging.Handler.__init__(self, logging.DEBUG)
        Changes.__init__(self)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the message (logged on the event loop's thread, as the socket runs there)."""
        self.messages.append(record.getMessage())
        self.changed()


@contextmanager
def watch_log(name: str) -> Iterator[LogWatch]:
    """Watch the messages of logger `name` and its children, debug lines included."""
    watch = LogWatch()
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(watch)
    try:
        yield watch
    finally:
        logger.removeHandler(watch)
        logger.setLevel(level)


@pytest.fixture
def clock() -> ManualClock:
    """Return the simulator's clock."""
    return ManualClock()


@pytest.fixture
async def make_sim(clock: ManualClock) -> AsyncIterator[Callable[..., Any]]:
    """Return a factory of served simulators with fast socket timers, stopped afterwards."""
    started: list[PanelSimulator] = []

    async def factory(**kwargs: Any) -> PanelSimulator:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("wings", fast_wings())
        sim = PanelSimulator(**kwargs)
        await sim.start()
        started.append(sim)
        return sim

    yield factory
    for sim in started:
        await sim.stop()


@pytest.fixture
async def sim(make_sim: Callable[..., Any]) -> PanelSimulator:
    """Return a v1 panel: server 0 running, 1 and 2 offline."""
    result: PanelSimulator = await make_sim()
    return result


@pytest.fixture
def panel(sim: PanelSimulator, session: aiohttp.ClientSession) -> PterodactylClient:
    """Return a client of the simulator."""
    assert sim.url is not None
    return PterodactylClient(sim.url, sim.client_key, session=session)


@pytest.fixture
async def sockets() -> AsyncIterator[list[ServerSocket]]:
    """Collect sockets and stop them after the test, then check nothing lingers."""
    made: list[ServerSocket] = []
    yield made
    for socket in made:
        await socket.stop()
    assert lingering() == []


def lingering() -> list[asyncio.Task[Any]]:
    """Return the websocket client's tasks that are still alive."""
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith(TASK_PREFIX) and not task.done()
    ]


def make_socket(
    sockets: list[ServerSocket],
    client: PterodactylClient,
    identifier: str,
    recorder: Recorder,
    **kwargs: Any,
) -> ServerSocket:
    """Create a fast-reconnecting socket and start it."""
    kwargs.setdefault("backoff", FAST_BACKOFF)
    kwargs.setdefault("rng", random.Random(1))  # noqa: S311 - repeatable jitter
    socket = ServerSocket(client, identifier, **recorder.callbacks(), **kwargs)
    sockets.append(socket)
    socket.start()
    return socket


def websocket_fault(identifier: str, count: int) -> Fault:
    """Return a fault answering a server's next `count` token requests with 500."""
    return Fault(FaultKind.STATUS, server=identifier, path_contains="/websocket", count=count)


def ids(sim: PanelSimulator) -> list[str]:
    """Return the simulator's server identifiers."""
    return list(sim.servers)


async def test_running_server_state_and_stats(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """A running server's socket reports CONNECTED, its state, and stats every interval."""
    recorder = Recorder()
    identifier = ids(sim)[0]
    socket = make_socket(sockets, panel, identifier, recorder)
    await recorder.connected()
    assert socket.connected
    await recorder.wait_for(lambda: len(recorder.stats) >= 3)
    assert recorder.states[0] is ServerState.RUNNING
    stats = recorder.stats[-1]
    assert stats.state is ServerState.RUNNING
    assert stats.memory_bytes > 0
    assert stats.uptime_seconds > 600
    usage = stats.to_utilization(is_suspended=False)
    assert (usage.memory_bytes, usage.cpu_percent) == (stats.memory_bytes, stats.cpu_percent)
    # Running: the client asks for stats at once instead of waiting for the next frame.
    assert sim.wings.received[identifier][:2] == ["auth", "send stats"]
    assert "token" not in repr(socket)


async def test_offline_server_needs_no_stats_request(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """Wings sends an offline server's stats after auth by itself, so none is requested."""
    recorder = Recorder()
    identifier = ids(sim)[1]
    socket = make_socket(sockets, panel, identifier, recorder)
    # Not connected yet: nothing to ask.
    await socket.request_stats()
    await recorder.wait_for(lambda: bool(recorder.stats))
    assert recorder.states == [ServerState.OFFLINE]
    assert recorder.stats[0].state is ServerState.OFFLINE
    await socket.request_stats()
    await recorder.wait_for(lambda: len(recorder.stats) == 2)
    assert sim.wings.received[identifier] == ["auth", "send stats"]


async def test_origin_is_the_configured_panel_url(
    sim: PanelSimulator, session: aiohttp.ClientSession, sockets: list[ServerSocket]
) -> None:
    """The Origin is the panel URL as configured (path and slash dropped), not the socket URL."""
    assert sim.url is not None
    client = PterodactylClient(f"{sim.url}/", sim.client_key, session=session)
    recorder = Recorder()
    make_socket(sockets, client, ids(sim)[1], recorder)
    await recorder.connected()


async def test_tls_panel(
    session: aiohttp.ClientSession, sockets: list[ServerSocket], tmp_path: Path
) -> None:
    """A panel on HTTPS hands out wss:// and the socket follows the client's TLS setting."""
    certificate = make_certificate(tmp_path)
    sim = PanelSimulator(clock=ManualClock(), wings=fast_wings())
    url = await sim.start(ssl_context=certificate.server_context())
    try:
        client = PterodactylClient(url, sim.client_key, session=session, verify_ssl=False)
        assert (await client.get_websocket_credentials(ids(sim)[1])).socket_url.startswith("wss://")
        recorder = Recorder()
        make_socket(sockets, client, ids(sim)[1], recorder)
        await recorder.wait_for(lambda: bool(recorder.stats))
        await sockets.pop().stop()
    finally:
        await sim.stop()


async def test_power_change_pushes_state(
    sim: PanelSimulator,
    panel: PterodactylClient,
    sockets: list[ServerSocket],
    clock: ManualClock,
) -> None:
    """A power action shows as status events, starting then running."""
    recorder = Recorder()
    identifier = ids(sim)[1]
    make_socket(sockets, panel, identifier, recorder)
    await recorder.wait_for(lambda: bool(recorder.stats))
    await panel.send_power_signal(identifier, PowerSignal.START)
    await recorder.wait_for(lambda: recorder.states[-1] is ServerState.STARTING)
    clock.advance(sim.start_seconds)
    await recorder.wait_for(lambda: recorder.states[-1] is ServerState.RUNNING)
    await recorder.wait_for(lambda: recorder.stats[-1].state is ServerState.RUNNING)
    assert recorder.states == [ServerState.OFFLINE, ServerState.STARTING, ServerState.RUNNING]


async def test_console_lines(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """Console lines arrive as they are printed."""
    recorder = Recorder()
    identifier = ids(sim)[0]
    make_socket(sockets, panel, identifier, recorder)
    await recorder.connected()
    await recorder.wait_for(lambda: bool(recorder.states))
    sim.console_line(identifier, "Steve joined the game")
    await recorder.wait_for(lambda: recorder.lines == ["Steve joined the game"])


async def test_token_renewed_on_expiring_without_reconnect(
    sim: PanelSimulator,
    panel: PterodactylClient,
    sockets: list[ServerSocket],
    clock: ManualClock,
) -> None:
    """`token expiring`, `token expired` and a late `jwt error` renew on the same socket."""
    recorder = Recorder()
    identifier = ids(sim)[1]
    make_socket(sockets, panel, identifier, recorder)
    await recorder.wait_for(lambda: bool(recorder.stats))
    clock.advance(545)
    await wait_for_panel(sim, lambda: sim.websocket_token_requests(identifier) == 2)
    # The new token is in use (Wings would warn again at its next check otherwise), and the
    # client caught up on the state.
    await wait_for_panel(sim, lambda: received(sim, identifier)[-2:] == ["auth", "send stats"])
    assert received(sim, identifier).count("auth") == 2
    assert sim.websocket_token_requests(identifier) == 2
    sim.expire_websocket_tokens(identifier)
    await wait_for_panel(sim, lambda: sim.websocket_token_requests(identifier) == 3)
    # The renewal ends when the new token is sent: a `jwt error` before then is its to fix.
    await wait_for_panel(sim, lambda: received(sim, identifier).count("auth") == 3)
    sim.send_websocket_event(identifier, "jwt error", "jwt: exp claim is invalid")
    await wait_for_panel(sim, lambda: sim.websocket_token_requests(identifier) == 4)
    await wait_for_panel(sim, lambda: received(sim, identifier).count("auth") == 4)
    assert sim.websocket_connects(identifier) == 1
    assert recorder.connection == [ConnectionState.CONNECTED]
    # Still authenticated: events flow.
    sim.console_line(identifier, "after renewal")
    await recorder.wait_for(lambda: recorder.lines == ["after renewal"])
    assert recorder.states == [ServerState.OFFLINE]


async def test_reconnects_after_forced_disconnect(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """A closed or dropped socket reports DISCONNECTED at once, then reconnects after a backoff."""
    recorder = Recorder()
    identifier = ids(sim)[0]
    make_socket(sockets, panel, identifier, recorder)
    await recorder.connected()
    await sim.disconnect_websockets(identifier)
    await recorder.connected(times=2)
    await sim.disconnect_websockets(identifier, abort=True)
    await recorder.connected(times=3)
    assert recorder.connection == [
        ConnectionState.CONNECTED,
        ConnectionState.DISCONNECTED,
        ConnectionState.CONNECTED,
        ConnectionState.DISCONNECTED,
        ConnectionState.CONNECTED,
    ]
    assert sim.websocket_connects(identifier) == 3
    assert sim.websocket_count(identifier) == 1


async def test_node_down_then_back(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """While the node is down every attempt fails (polling meanwhile); it reconnects after."""
    recorder = Recorder()
    identifier = ids(sim)[1]
    make_socket(
        sockets, panel, identifier, recorder, token_limiter=TokenLimiter(limit=100, window=60)
    )
    await recorder.connected()
    sim.set_node_down(identifier)
    await recorder.wait_for(lambda: recorder.connection[-1] is ConnectionState.DISCONNECTED)
    await wait_for_panel(sim, lambda: sim.websocket_token_requests(identifier) >= 3)
    sim.set_node_down(identifier, down=False)
    await recorder.connected(times=2)


async def test_backoff_grows_between_failures(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """Failed attempts wait longer each time, up to the cap; success resets the delay."""
    delays: list[float] = []
    recorder = Recorder()

    class Recording(Backoff):
        def delay(self, attempt: int, rng: random.Random) -> float:
            delays.append(super().delay(attempt, rng))
            recorder.changed()
            return delays[-1]

    identifier = ids(sim)[1]
    sim.set_node_down(identifier)
    make_socket(
        sockets,
        panel,
        identifier,
        recorder,
        backoff=Recording(initial=0.01, maximum=0.04),
        token_limiter=TokenLimiter(limit=100, window=60),
    )
    await recorder.wait_for(lambda: len(delays) >= 5)
    sim.set_node_down(identifier, down=False)
    await recorder.connected()
    count = len(delays)
    await sim.disconnect_websockets(identifier)
    await recorder.connected(times=2)
    assert 0.005 <= delays[0] <= 0.01
    assert 0.01 <= delays[1] <= 0.02
    assert all(0.02 <= d <= 0.04 for d in delays[3:count])
    # The connection had authenticated, so the delay starts small again.
    assert delays[count] <= 0.01


async def test_token_limit_per_minute(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """However fast the socket drops, no more than 5 tokens are requested a minute."""
    recorder = Recorder()
    identifier = ids(sim)[1]
    limiter = HeldLimiter()
    socket = make_socket(sockets, panel, identifier, recorder, token_limiter=limiter)
    for times in range(1, 6):
        await recorder.connected(times=times)
        await sim.disconnect_websockets(identifier)
    await recorder.wait_for(lambda: recorder.connection[-1] is ConnectionState.DISCONNECTED)
    # The sixth token waits for the window.
    async with asyncio.timeout(WAIT_TIMEOUT):
        await limiter.holding.wait()
    assert sim.websocket_token_requests(identifier) == 5
    assert not socket.connected
    assert socket.token_limiter.wait_time() > 50


class HeldLimiter(TokenLimiter):
    """A token limiter that says when it makes a socket wait."""

    def __init__(self) -> None:
        """Allow Pelican's 5 tokens a minute."""
        super().__init__()
        self.holding = asyncio.Event()

    async def wait(self) -> None:
        """Wait as TokenLimiter does, saying so first when there is a wait."""
        if self.wait_time() > 0:
            self.holding.set()
        await super().wait()


async def test_pelican_429_waits_retry_after(
    make_sim: Callable[..., Any], session: aiohttp.ClientSession, sockets: list[ServerSocket]
) -> None:
    """Pelican's own per-server limit (429) is waited out, not hammered."""
    sim: PanelSimulator = await make_sim(flavor=Flavor.PELICAN)
    assert sim.url is not None
    client = PterodactylClient(sim.url, sim.client_key, session=session)
    identifier = ids(sim)[1]
    for _ in range(5):
        await client.get_websocket_credentials(identifier)
    recorder = Recorder()
    with watch_log(WEBSOCKET_LOGGER) as log:
        make_socket(
            sockets, client, identifier, recorder, token_limiter=TokenLimiter(limit=100, window=60)
        )
        pause = f"Reconnecting the websocket of {identifier} in "
        await log.wait_for(lambda: any(m.startswith(pause) for m in log.messages))
    # The next attempt waits the panel's Retry-After (a minute), not the backoff's 40 ms.
    delay = next(m for m in log.messages if m.startswith(pause)).removeprefix(pause)
    assert float(delay.removesuffix(" s")) >= 50
    assert sim.websocket_token_requests(identifier) == 6
    assert recorder.connection == []


async def test_forbidden_is_not_watchable(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """A 403 from GET /websocket stops the socket for good and says so once."""
    recorder = Recorder()
    identifier = ids(sim)[1]
    sim.make_subuser(identifier, ["control.console"])
    socket = make_socket(sockets, panel, identifier, recorder)
    await recorder.wait_for(lambda: bool(recorder.connection))
    # The task ended by itself: nothing retries.
    assert socket._task is not None
    await asyncio.wait_for(socket._task, WAIT_TIMEOUT)
    assert recorder.connection == [ConnectionState.NOT_WATCHABLE]
    assert socket.state is ConnectionState.NOT_WATCHABLE
    assert sim.websocket_token_requests(identifier) == 1


async def test_refused_origin_stops_with_the_origin_named(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """Wings refusing the Origin (403 on the upgrade) is told apart, with the Origin it refused."""
    # Wings' `remote` is not the panel's APP_URL, which signs the tokens.
    sim.wings.settings.remote = "https://panel.example.com"
    recorder = Recorder()
    socket = make_socket(sockets, panel, ids(sim)[1], recorder)
    await recorder.wait_for(lambda: bool(recorder.connection))
    assert recorder.connection == [ConnectionState.ORIGIN_REFUSED]
    assert socket.refused_origin == sim.url
    assert sim.websocket_count() == 0
    # Stopped for good: the user must fix Wings first.
    assert socket._task is not None
    await asyncio.wait_for(socket._task, WAIT_TIMEOUT)
    assert sim.websocket_token_requests(ids(sim)[1]) == 1


@pytest.mark.parametrize("app_host", ["localhost", "127.0.0.1"])
async def test_origin_is_the_panel_url_that_signed_the_token(
    sim: PanelSimulator,
    session: aiohttp.ClientSession,
    sockets: list[ServerSocket],
    app_host: str,
) -> None:
    """Added by another address than the panel's APP_URL, push still opens.

    The Origin is the token's issuer, which is what the panel wrote into Wings' `remote`.
    """
    assert sim.url is not None
    port = URL(sim.url).port
    sim.app_url = f"http://{app_host}:{port}"
    # The user reaches the panel by another name for the same machine.
    user_url = f"http://{'127.0.0.1' if app_host == 'localhost' else 'localhost'}:{port}"
    client = PterodactylClient(user_url, sim.client_key, session=session)
    recorder = Recorder()
    make_socket(sockets, client, ids(sim)[1], recorder)
    await recorder.connected()


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "a.b.c",
        "e30.e30.sig",  # {} claims: no issuer
        "e30.eyJpc3MiOjF9.sig",  # "iss": 1
        "e30.eyJpc3MiOiJmdHA6Ly9wYW5lbCJ9.sig",  # "iss": "ftp://panel"
        "e30.WzFd.sig",  # claims are a list
    ],
)
async def test_token_without_a_usable_issuer_keeps_the_configured_origin(token: str) -> None:
    """A token that names no http(s) panel leaves the Origin to the configured URL."""
    credentials = parse_websocket_credentials(
        {"data": {"token": token, "socket": "wss://node.example.com:8080/api/servers/u/ws"}}
    )
    assert credentials.panel_origin is None


def test_token_issuer_is_reduced_to_an_origin() -> None:
    """The issuer's path and default port are no part of an Origin."""
    claims = base64.urlsafe_b64encode(b'{"iss":"https://panel.example.com:443/sub/"}').decode()
    credentials = parse_websocket_credentials(
        {"data": {"token": f"e30.{claims.rstrip('=')}.sig", "socket": "ws://node:8080/ws"}}
    )
    assert credentials.panel_origin == "https://panel.example.com"


async def test_refused_token_reconnects(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """A `jwt error` answering `auth` ends that connection; a later one succeeds.

    Here the token was issued before Wings booted, which Wings denylists.
    """
    recorder = Recorder()
    identifier = ids(sim)[1]
    sim.wings.booted_at = int(sim.unix_time()) + 3600
    make_socket(sockets, panel, identifier, recorder)
    await wait_for_panel(sim, lambda: sim.websocket_connects(identifier) >= 2)
    assert recorder.connection == []
    sim.wings.booted_at = 0
    await recorder.connected()


async def test_badly_signed_token_reconnects(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """A token Wings cannot verify is refused too: the socket reconnects.

    Wings answers it with a generic `daemon error`, not a `jwt error`; the socket must not sit
    there unauthenticated.
    """
    recorder = Recorder()
    identifier = ids(sim)[1]
    sim.wings.settings.node_token = "reconfigured"
    make_socket(sockets, panel, identifier, recorder)
    await wait_for_panel(sim, lambda: sim.websocket_connects(identifier) >= 2)
    assert recorder.connection == []
    sim.wings.settings.node_token = None
    await recorder.connected()


async def test_renewal_catches_up_on_the_state(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """Once a renewed token is in, the client asks for the state.

    Wings sends no `status` on a re-auth, and it turned events into `jwt error`s while the token
    was expired.
    """
    recorder = Recorder()
    identifier = ids(sim)[1]
    make_socket(sockets, panel, identifier, recorder)
    await recorder.wait_for(lambda: bool(recorder.stats))
    sim.expire_websocket_tokens(identifier, remaining=30)
    await wait_for_panel(sim, lambda: received(sim, identifier)[-2:] == ["auth", "send stats"])
    assert received(sim, identifier).count("auth") == 2
    await recorder.wait_for(lambda: len(recorder.stats) == 2)
    assert sim.websocket_connects(identifier) == 1


async def test_unanswered_auth_reconnects(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """An `auth` Wings never answers is a refused token: the socket reconnects with a new one."""
    recorder = Recorder()
    identifier = ids(sim)[1]
    sim.wings.settings.answer_auth = False
    make_socket(sockets, panel, identifier, recorder, auth_timeout=0.05)
    await wait_for_panel(sim, lambda: sim.websocket_connects(identifier) >= 2)
    assert recorder.connection == []
    sim.wings.settings.answer_auth = True
    await recorder.connected()


async def test_renewal_failure_reconnects(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """If the fresh token cannot be had, the socket drops so the caller polls, then retries."""
    recorder = Recorder()
    identifier = ids(sim)[1]
    make_socket(sockets, panel, identifier, recorder)
    await recorder.connected()
    sim.inject_fault(websocket_fault(identifier, count=2))
    sim.expire_websocket_tokens(identifier)
    await recorder.wait_for(lambda: recorder.connection[-1] is ConnectionState.DISCONNECTED)
    await recorder.connected(times=2)
    assert sim.websocket_connects(identifier) == 2


async def test_renewal_forbidden_is_not_watchable(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """Losing websocket.connect while connected ends push for good at the next renewal."""
    recorder = Recorder()
    identifier = ids(sim)[1]
    make_socket(sockets, panel, identifier, recorder)
    await recorder.connected()
    sim.make_subuser(identifier, ["control.console"])
    sim.expire_websocket_tokens(identifier, remaining=30)
    await recorder.wait_for(lambda: recorder.connection[-1] is ConnectionState.NOT_WATCHABLE)
    assert recorder.connection == [
        ConnectionState.CONNECTED,
        ConnectionState.DISCONNECTED,
        ConnectionState.NOT_WATCHABLE,
    ]


async def test_odd_frames_are_ignored(
    sim: PanelSimulator,
    panel: PterodactylClient,
    sockets: list[ServerSocket],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Garbage, unknown events, bad values and daemon errors leave the connection up.

    (A `jwt error` renews the token: test_token_renewed_on_expiring_without_reconnect.)
    """
    caplog.set_level(logging.DEBUG, logger="custom_components.pterodactyl.api.websocket")
    recorder = Recorder()
    identifier = ids(sim)[1]
    make_socket(sockets, panel, identifier, recorder)
    await recorder.wait_for(lambda: bool(recorder.stats))
    for raw in ("not json", "[1, 2]", '{"event": 3}', '{"event": "status", "args": "x"}'):
        sim.wings.send_raw(identifier, raw)
    sim.send_websocket_event(identifier, "status", "exploding")
    sim.send_websocket_event(identifier, "stats", '{"memory_bytes": -1}')
    sim.send_websocket_event(identifier, "stats", "{")
    sim.send_websocket_event(identifier, "install output", "x")
    sim.send_websocket_event(identifier, "daemon error", "Error Event [x]: boom")
    sim.send_websocket_event(identifier, "daemon error")
    sim.console_line(identifier, "still here")
    await recorder.wait_for(lambda: recorder.lines == ["still here"])
    assert recorder.states == [ServerState.OFFLINE]
    assert len(recorder.stats) == 1
    assert recorder.connection == [ConnectionState.CONNECTED]
    assert "boom" in caplog.text


async def test_callback_errors_do_not_kill_the_socket(
    sim: PanelSimulator,
    panel: PterodactylClient,
    sockets: list[ServerSocket],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing callback is logged; later events still arrive."""
    lines: list[str] = []
    changes = Changes()

    def broken(_: object) -> None:
        raise RuntimeError("callback bug")

    def console(line: str) -> None:
        lines.append(line)
        changes.changed()

    socket = ServerSocket(
        panel,
        ids(sim)[1],
        on_state=broken,
        on_console=console,
        on_connection=lambda _: changes.changed(),
        backoff=FAST_BACKOFF,
    )
    sockets.append(socket)
    socket.start()
    await changes.wait_for(lambda: socket.connected)
    sim.console_line(ids(sim)[1], "line")
    await changes.wait_for(lambda: bool(lines))
    assert "Error in a websocket callback" in caplog.text


async def test_unexpected_error_is_logged_and_retried(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket], caplog: Any
) -> None:
    """A bug while connecting does not end push for good."""
    real = panel.get_websocket_credentials
    calls: list[str] = []

    async def flaky(identifier: str) -> WebsocketCredentials:
        calls.append(identifier)
        if len(calls) == 1:
            raise RuntimeError("bug")
        return await real(identifier)

    panel.get_websocket_credentials = flaky  # type: ignore[method-assign]
    recorder = Recorder()
    make_socket(sockets, panel, ids(sim)[1], recorder)
    await recorder.connected()
    assert "Unexpected error in the websocket" in caplog.text


async def test_heartbeat(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """A quiet socket is pinged and stays up; Wings' pings are answered; a hung node is left."""
    recorder = Recorder()
    identifier = ids(sim)[1]
    make_socket(sockets, panel, identifier, recorder, heartbeat=HEARTBEAT)
    await recorder.connected()
    # Not a wait for a condition: quiet time is what this tests. An offline server's socket
    # carries nothing; over six heartbeats it is pinged, and must stay up.
    await asyncio.sleep(HEARTBEAT * 6)
    await sim.wings.ping(identifier)
    # Again quiet time: two heartbeats for a ping left unanswered to end the socket.
    await asyncio.sleep(HEARTBEAT * 2)
    assert recorder.connection == [ConnectionState.CONNECTED]
    sim.wings.settings.answer_pings = False
    await sim.disconnect_websockets(identifier)
    await recorder.connected(times=2)
    # Nothing answers the ping on the new socket: it is given up and retried.
    await recorder.wait_for(lambda: recorder.connection.count(ConnectionState.DISCONNECTED) == 2)
    sim.wings.settings.answer_pings = True
    await recorder.connected(times=3)


async def test_stop_leaves_nothing(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """stop() closes the socket and ends every task, whatever the socket was doing."""
    recorder = Recorder()
    identifier = ids(sim)[0]
    idle = ServerSocket(panel, identifier)
    await idle.stop()
    socket = make_socket(sockets, panel, identifier, recorder)
    assert socket.start() is socket.start()
    await recorder.connected()
    assert sim.websocket_count(identifier) == 1
    await socket.stop()
    await socket.stop()
    assert lingering() == []
    assert recorder.connection == [ConnectionState.CONNECTED]
    assert socket.state is ConnectionState.DISCONNECTED
    await wait_for_panel(sim, lambda: sim.websocket_count(identifier) == 0)


async def test_stop_during_backoff_and_renewal(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """Stopping while waiting to reconnect, or while renewing a token, leaves nothing behind."""
    identifier = ids(sim)[1]
    sim.set_node_down(identifier)
    backing_off = asyncio.Event()

    class Watched(Backoff):
        def delay(self, attempt: int, rng: random.Random) -> float:
            backing_off.set()
            return super().delay(attempt, rng)

    waiting = make_socket(sockets, panel, identifier, Recorder(), backoff=Watched(initial=30))
    async with asyncio.timeout(WAIT_TIMEOUT):
        await backing_off.wait()
    assert sim.websocket_token_requests(identifier) == 1
    await waiting.stop()
    assert lingering() == []
    sim.set_node_down(identifier, down=False)

    recorder = Recorder()
    renewing = make_socket(sockets, panel, identifier, recorder)
    await recorder.connected()
    sim.inject_fault(Fault(FaultKind.DELAY, path_contains="/websocket", delay=5))
    sim.expire_websocket_tokens(identifier, remaining=30)
    await wait_for_panel(sim, lambda: sim.websocket_token_requests(identifier) == 3)
    # A second warning while the first renewal is pending starts no other. Wings sends frames
    # in order: once the line after the warning is in, the warning was read.
    sim.send_websocket_event(identifier, "token expiring")
    sim.console_line(identifier, "after the warning")
    await recorder.wait_for(lambda: recorder.lines == ["after the warning"])
    assert sim.websocket_token_requests(identifier) == 3
    await renewing.stop()
    assert lingering() == []


async def test_run_in_callers_task(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """run() may be scheduled by the caller (Home Assistant's background task); stop() ends it."""
    recorder = Recorder()
    socket = ServerSocket(panel, ids(sim)[1], **recorder.callbacks())
    sockets.append(socket)
    task = asyncio.create_task(socket.run(), name=f"{TASK_PREFIX} test")
    await recorder.connected()
    await socket.stop()
    assert task.done()


async def test_secrets_never_logged(
    sim: PanelSimulator,
    panel: PterodactylClient,
    sockets: list[ServerSocket],
    caplog: pytest.LogCaptureFixture,
    clock: ManualClock,
) -> None:
    """Neither the API key nor any websocket token shows in the debug log."""
    caplog.set_level(logging.DEBUG)
    tokens: list[str] = []
    real = panel.get_websocket_credentials
    recorder = Recorder()

    async def recording(identifier: str) -> WebsocketCredentials:
        credentials = await real(identifier)
        tokens.append(credentials.token)
        recorder.changed()
        return credentials

    panel.get_websocket_credentials = recording  # type: ignore[method-assign]
    identifier = ids(sim)[1]
    make_socket(sockets, panel, identifier, recorder)
    await recorder.connected()
    clock.advance(545)
    await recorder.wait_for(lambda: len(tokens) == 2)
    await sim.disconnect_websockets(identifier)
    await recorder.connected(times=2)
    sim.token_lifetime = 0
    await sim.disconnect_websockets(identifier)
    await recorder.wait_for(lambda: len(tokens) >= 4)
    assert tokens
    for secret in [sim.client_key, *tokens]:
        assert secret not in caplog.text


def test_backoff_delays() -> None:
    """Delays double from `initial`, stay within [half, full], and never pass the cap."""
    backoff = Backoff(initial=1.0, maximum=300.0)
    rng = random.Random(3)  # noqa: S311 - repeatable jitter
    for attempt, full in enumerate([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]):
        delay = backoff.delay(attempt, rng)
        assert full / 2 <= delay <= full
    assert backoff.delay(10_000, rng) <= 300.0


async def test_token_limiter_window() -> None:
    """Five requests fit in a minute; the sixth waits for the oldest to leave the window."""
    now = [0.0]
    limiter = TokenLimiter(clock=lambda: now[0])
    for second in range(5):
        now[0] = float(second)
        assert limiter.wait_time() == 0
        limiter.record()
    # The window is a second longer than the panel's minute, which starts when a request arrives.
    assert limiter.wait_time() == pytest.approx(57.0)
    now[0] = 60.5
    assert limiter.wait_time() == pytest.approx(0.5)
    now[0] = 61.0
    assert limiter.wait_time() == 0
    quick = TokenLimiter(limit=1, window=0.05)
    await quick.acquire()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await quick.acquire()
    assert loop.time() - started >= 0.04


async def test_credentials_error_types(
    sim: PanelSimulator, panel: PterodactylClient, sockets: list[ServerSocket]
) -> None:
    """A 5xx on GET /websocket is temporary: retried, never reported as not watchable."""
    identifier = ids(sim)[1]
    sim.inject_fault(websocket_fault(identifier, count=2))
    recorder = Recorder()
    make_socket(sockets, panel, identifier, recorder)
    await recorder.connected()
    assert sim.websocket_token_requests(identifier) == 3
    assert recorder.connection == [ConnectionState.CONNECTED]
