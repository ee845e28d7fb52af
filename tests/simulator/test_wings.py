"""The simulated Wings console websocket: auth, Origin, events, tokens and test controls."""

import asyncio
import base64
from collections.abc import AsyncIterator
import contextlib
import json
import re
from typing import Any

import aiohttp
import pytest

from simulator import Access, Flavor, ManualClock, PanelSimulator, PowerState, WingsSettings
from simulator.tokens import mint_token

from .conftest import PanelClient, PanelFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")


def fast() -> WingsSettings:
    """Return fresh socket timings fast enough for tests (tests change them freely)."""
    return WingsSettings(
        stats_interval=0.05,
        token_check_interval=0.05,
        state_check_interval=0.01,
        console_interval=None,
    )


QUIET = 0.15


class Socket:
    """A raw console socket to the simulator, as a test drives it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an open socket."""
        self.ws = ws

    async def send(self, event: str, *args: str) -> None:
        """Send one frame."""
        await self.ws.send_json({"event": event, "args": list(args)})

    async def frame(self, within: float = 2.0) -> tuple[str, list[str]]:
        """Return the next frame's event and args."""
        message = await self.ws.receive(timeout=within)
        assert message.type is aiohttp.WSMsgType.TEXT, message
        frame: dict[str, Any] = json.loads(message.data)
        # Wings omits an empty `args` (router/websocket/message.go, omitempty).
        return frame["event"], frame.get("args", [])

    async def expect(self, event: str, within: float = 2.0) -> list[str]:
        """Skip frames until `event`; return its args."""
        async with asyncio.timeout(within):
            while True:
                name, args = await self.frame(within)
                if name == event:
                    return args

    async def drain(self) -> list[tuple[str, list[str]]]:
        """Return every frame that arrives in the next moment (running servers never go quiet)."""
        return await self.collect(QUIET)

    async def collect(self, seconds: float) -> list[tuple[str, list[str]]]:
        """Return every frame that arrives within `seconds`."""
        frames: list[tuple[str, list[str]]] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    frames.append(await self.frame())
        return frames

    async def auth(self, token: str) -> list[tuple[str, list[str]]]:
        """Authenticate and return the frames Wings answers with."""
        await self.send("auth", token)
        return await self.drain()


@pytest.fixture
async def sim(make_panel: PanelFactory) -> PanelClient:
    """Return a v1 panel with fast socket timers; server 0 runs, 1 and 2 are offline."""
    return await make_panel(wings=fast())


async def credentials(panel: PanelClient, identifier: str) -> tuple[str, str]:
    """Return a fresh token and socket URL from GET /websocket."""
    reply = await panel.get(f"/api/client/servers/{identifier}/websocket")
    assert reply.status == 200, reply.text
    data: dict[str, str] = reply.json["data"]
    return data["token"], data["socket"]


async def connect(
    panel: PanelClient, identifier: str, *, origin: str | None = "panel", auth: bool = True
) -> Socket:
    """Open a server's socket with the panel's Origin and (by default) authenticate."""
    token, url = await credentials(panel, identifier)
    sent_origin = panel.sim.url if origin == "panel" else origin
    ws = await panel.session.ws_connect(url, origin=sent_origin)
    socket = Socket(ws)
    if auth:
        await socket.send("auth", token)
        assert await socket.frame() == ("auth success", [])
    return socket


def ids(panel: PanelClient) -> list[str]:
    """Return the simulator's server identifiers in order."""
    return list(panel.sim.servers)


def events(frames: list[tuple[str, list[str]]]) -> list[str]:
    """Return just the event names."""
    return [name for name, _ in frames]


async def test_auth_offline_server(sim: PanelClient) -> None:
    """An offline server answers auth with its status and one stats frame, then stays quiet."""
    socket = await connect(sim, ids(sim)[1])
    assert await socket.frame() == ("status", ["offline"])
    name, args = await socket.frame()
    assert name == "stats"
    stats = json.loads(args[0])
    assert set(stats) == {
        "memory_bytes", "memory_limit_bytes", "cpu_absolute", "network", "uptime", "state",
        "disk_bytes",
    }  # fmt: skip
    assert stats["state"] == "offline"
    assert set(stats["network"]) == {"rx_bytes", "tx_bytes"}
    assert await socket.drain() == []
    assert sim.sim.websocket_count() == 1
    assert sim.sim.websocket_connects(ids(sim)[1]) == 1


async def test_stats_cadence_while_running(sim: PanelClient) -> None:
    """A running server streams stats about every stats_interval, and `send stats` adds one."""
    socket = await connect(sim, ids(sim)[0])
    assert await socket.frame() == ("status", ["running"])
    loop = asyncio.get_running_loop()
    started = loop.time()
    stats = [json.loads((await socket.expect("stats"))[0]) for _ in range(5)]
    elapsed = loop.time() - started
    assert 0.1 <= elapsed < 1.0
    assert all(s["state"] == "running" and s["memory_bytes"] > 0 for s in stats)
    assert stats[0]["uptime"] > 0
    await socket.send("send stats")
    assert (await socket.frame())[0] == "stats"


@pytest.mark.parametrize(
    ("origin", "allowed", "status"),
    [
        ("https://evil.example.com", [], 403),
        (None, [], 403),
        ("https://evil.example.com", ["https://evil.example.com"], 101),
        ("https://anything.example.com", ["*"], 101),
    ],
)
async def test_origin_check(
    sim: PanelClient, origin: str | None, allowed: list[str], status: int
) -> None:
    """Only the panel URL (or an allowed origin) may open the socket; others get 403."""
    sim.sim.wings.settings.allowed_origins = allowed
    if status == 403:
        with pytest.raises(aiohttp.WSServerHandshakeError) as excinfo:
            await connect(sim, ids(sim)[1], origin=origin, auth=False)
        assert excinfo.value.status == 403
        assert sim.sim.websocket_count() == 0
    else:
        await connect(sim, ids(sim)[1], origin=origin)


async def test_unknown_server_404(sim: PanelClient) -> None:
    """Wings knows servers by full uuid only."""
    assert sim.sim.url is not None
    base = sim.sim.url.replace("http", "ws")
    for key in ("00000000-0000-4000-8000-000000000000", ids(sim)[0]):
        with pytest.raises(aiohttp.WSServerHandshakeError) as excinfo:
            await sim.session.ws_connect(f"{base}/api/servers/{key}/ws", origin=sim.sim.url)
        assert excinfo.value.status == 404


GENERIC = "an unexpected error was encountered while handling this request"
ERROR_EVENT = re.compile(r"Error Event \[([0-9a-f-]{36})\]: (.*)")


def wrapped(arg: str) -> str:
    """Return the message inside SendErrorJson's `Error Event [<random id>]: ` wrapping."""
    match = ERROR_EVENT.fullmatch(arg)
    assert match is not None, arg
    return match.group(2)


def claims_of(token: str) -> dict[str, Any]:
    """Return a JWT's payload."""
    body = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


async def test_bad_tokens(sim: PanelClient, clock: ManualClock) -> None:
    """Garbage/forged tokens get a generic `daemon error`; refused ones a wrapped `jwt error`."""
    second = ids(sim)[1]
    socket = await connect(sim, second, auth=False)
    await socket.send("send stats")
    # HandleInbound's own reply: the bare text.
    assert await socket.frame() == ("jwt error", ["jwt: no jwt present"])
    # router/websocket/websocket.go SendErrorJson: not IsJwtError -> generic daemon error.
    [(name, args)] = await socket.auth("not-a-token")
    assert (name, wrapped(args[0])) == ("daemon error", GENERIC)
    token, _ = await credentials(sim, second)
    head, body, _ = token.split(".")
    [(name, again)] = await socket.auth(f"{head}.{body}.AAAA")
    assert (name, wrapped(again[0])) == ("daemon error", GENERIC)
    # A random error id each time, not the server's uuid.
    assert args[0] != again[0]
    assert sim.sim.servers[second].uuid not in args[0]
    # Still unauthenticated.
    await socket.send("send stats")
    assert await socket.frame() == ("jwt error", ["jwt: no jwt present"])
    server = sim.sim.servers[second]
    no_connect = mint_token(
        server=server,
        account=sim.sim.account,
        permissions=["control.console"],
        panel_url="",
        node_url="",
        now_unix=sim.sim.unix_time(),
        secret=sim.sim.node_token,
    )
    [(name, args)] = await socket.auth(no_connect)
    assert (name, wrapped(args[0])) == ("jwt error", "jwt: missing connect permission")
    clock.advance(601)
    [(name, args)] = await socket.auth(token)
    assert (name, wrapped(args[0])) == ("jwt error", "jwt: exp claim is invalid")
    fresh, _ = await credentials(sim, second)
    assert events(await socket.auth(fresh)) == ["auth success", "status", "stats"]


async def test_denylisted_token(sim: PanelClient) -> None:
    """A token issued before Wings booted is refused (router/tokens/websocket.go Denylisted)."""
    identifier = ids(sim)[1]
    socket = await connect(sim, identifier, auth=False)
    old = mint_token(
        server=sim.sim.servers[identifier],
        account=sim.sim.account,
        permissions=["*"],
        panel_url="",
        node_url="",
        now_unix=sim.sim.unix_time() - 100,
        secret=sim.sim.node_token,
    )
    [(name, args)] = await socket.auth(old)
    assert (name, wrapped(args[0])) == ("jwt error", "jwt: created too far in past (denylist)")


async def test_foreign_token(sim: PanelClient) -> None:
    """Another server's token is accepted; every event then becomes `jwt error` (uuid mismatch)."""
    first, second = ids(sim)[0], ids(sim)[1]
    socket = await connect(sim, second, auth=False)
    foreign, _ = await credentials(sim, first)
    assert await socket.auth(foreign) == [
        ("auth success", []),
        ("jwt error", ["jwt: server uuid mismatch"]),
        ("jwt error", ["jwt: server uuid mismatch"]),
    ]


async def test_frames_omit_empty_args(sim: PanelClient) -> None:
    """`auth success` carries no `args` key at all (Message.Args is omitempty)."""
    token, url = await credentials(sim, ids(sim)[1])
    ws = await sim.session.ws_connect(url, origin=sim.sim.url)
    await ws.send_json({"event": "auth", "args": [token]})
    message = await ws.receive(timeout=2)
    assert json.loads(message.data) == {"event": "auth success"}
    await ws.close()


async def test_status_follows_power_changes(sim: PanelClient, clock: ManualClock) -> None:
    """`set state` and the HTTP power route both show as `status` events as the state moves."""
    identifier = ids(sim)[1]
    socket = await connect(sim, identifier)
    await socket.drain()
    await socket.send("set state", "start")
    assert await socket.expect("status") == ["starting"]
    assert sim.sim.servers[identifier].power_signals == ["start"]
    # Stats flow while the container is up, starting included.
    assert json.loads((await socket.expect("stats"))[0])["state"] == "starting"
    clock.advance(3)
    assert await socket.expect("status") == ["running"]
    reply = await sim.power(identifier, "kill")
    assert reply.status == 204
    # environment/docker/power.go Terminate: stopping, then offline.
    assert await socket.expect("status", within=0.5) == ["stopping"]
    assert await socket.frame() == ("status", ["offline"])
    # Offline again: one zeroed stats (OnStateChange), then no more periodic stats.
    assert json.loads((await socket.frame())[1][0])["state"] == "offline"
    assert "stats" not in events(await socket.drain())


async def test_set_state_permissions(sim: PanelClient) -> None:
    """Without the signal's permission `set state` is ignored; an invalid signal is an error."""
    identifier = ids(sim)[1]
    sim.sim.make_subuser(identifier, ["websocket.connect", "control.console"])
    socket = await connect(sim, identifier)
    await socket.drain()
    await socket.send("set state", "start")
    assert await socket.drain() == []
    assert sim.sim.servers[identifier].power_state is PowerState.OFFLINE
    await socket.send("set state", "explode")
    name, args = await socket.frame()
    assert name == "daemon error"
    # A random error id and the generic text, not "attempting to handle unknown power action".
    assert wrapped(args[0]) == GENERIC
    assert sim.sim.servers[identifier].uuid not in args[0]


async def test_console_lines(sim: PanelClient) -> None:
    """Test-pushed lines reach the socket, `send logs` replays them while running."""
    identifier = ids(sim)[0]
    socket = await connect(sim, identifier)
    await socket.expect("status")
    sim.sim.console_line(identifier, "Steve joined the game")
    assert await socket.expect("console output") == ["Steve joined the game"]
    sim.sim.console_line(identifier, "Alex joined the game")
    await socket.expect("console output")
    await socket.send("send logs")
    replay = [args[0] for name, args in await socket.drain() if name == "console output"]
    assert replay == ["Steve joined the game", "Alex joined the game"]


async def test_console_on_transitions_and_chatter(sim: PanelClient, clock: ManualClock) -> None:
    """A booting Minecraft server prints its boot lines; a running one chats periodically."""
    sim.sim.wings.settings.console_interval = 0.05
    identifier = ids(sim)[1]
    socket = await connect(sim, identifier)
    await socket.drain()
    await socket.send("set state", "start")
    await socket.expect("status")
    clock.advance(3)
    lines = [args[0] for name, args in await socket.collect(0.4) if name == "console output"]
    assert any("Starting minecraft server" in line for line in lines)
    assert any("Done (" in line for line in lines)
    assert any("Saving the game" in line for line in lines)


async def test_send_logs_offline_is_silent(sim: PanelClient) -> None:
    """Wings replays logs only while the server runs."""
    identifier = ids(sim)[1]
    sim.sim.console_line(identifier, "old line")
    socket = await connect(sim, identifier)
    await socket.drain()
    await socket.send("send logs")
    assert await socket.drain() == []


async def test_commands(sim: PanelClient) -> None:
    """Commands are recorded while running; ignored offline or without control.console."""
    running, offline = ids(sim)[0], ids(sim)[1]
    socket = await connect(sim, running)
    await socket.send("send command", "say hello")
    await socket.drain()
    assert sim.sim.servers[running].commands == ["say hello"]
    quiet = await connect(sim, offline)
    await quiet.send("send command", "say nobody")
    await quiet.drain()
    assert sim.sim.servers[offline].commands == []
    sim.sim.make_subuser(running, ["websocket.connect"])
    limited = await connect(sim, running)
    await limited.send("send command", "op me")
    await limited.drain()
    assert sim.sim.servers[running].commands == ["say hello"]


async def test_token_expiring_expired_and_renewal(sim: PanelClient, clock: ManualClock) -> None:
    """Expiry as Wings does it; a re-auth sends no status and the missed one is lost.

    `token expiring` at <= 60 s, the literal `token expired` only in the exp second, then every
    event becomes `jwt error`.
    """
    identifier = ids(sim)[1]
    token, url = await credentials(sim, identifier)
    socket = Socket(await sim.session.ws_connect(url, origin=sim.sim.url))
    await socket.send("auth", token)
    await socket.drain()
    clock.advance(545)
    assert await socket.expect("token expiring", within=0.5) == []
    # Into the exp second itself: the token is still valid, so the notice goes out as is.
    clock.advance(claims_of(token)["exp"] - sim.sim.unix_time() + 0.5)
    assert await socket.expect("token expired", within=0.5) == []
    clock.advance(1)
    # Past it: SendJson turns the notice into `jwt error` (bare text).
    assert await socket.expect("jwt error", within=0.5) == ["jwt: exp claim is invalid"]
    await socket.send("send stats")
    assert await socket.expect("jwt error") == ["jwt: exp claim is invalid"]
    sim.sim.console_line(identifier, "unseen")
    assert await socket.expect("jwt error") == ["jwt: exp claim is invalid"]
    # A status change while expired is replaced by `jwt error` and lost.
    assert (await sim.power(identifier, "start")).status == 204
    await asyncio.sleep(QUIET)
    frames = await socket.drain()
    assert "status" not in events(frames)
    assert "console output" not in events(frames)
    fresh, _ = await credentials(sim, identifier)
    frames = await socket.auth(fresh)
    after = frames[events(frames).index("auth success") + 1 :]
    assert "status" not in events(after + await socket.drain())
    assert "token expired" not in events(after)
    await socket.send("send stats")
    assert json.loads((await socket.expect("stats"))[0])["state"] == "starting"
    assert sim.sim.websocket_connects(identifier) == 1


async def test_expire_tokens_early(sim: PanelClient) -> None:
    """A test can make open sockets' tokens expire (or nearly) at once."""
    first, second = ids(sim)[1], ids(sim)[2]
    one = await connect(sim, first)
    two = await connect(sim, second)
    await one.drain()
    await two.drain()
    sim.sim.expire_websocket_tokens(first, remaining=30)
    assert await one.expect("token expiring", within=0.5) == []
    sim.sim.expire_websocket_tokens()
    assert await one.expect("jwt error", within=0.5) == ["jwt: exp claim is invalid"]
    assert await two.expect("jwt error", within=0.5) == ["jwt: exp claim is invalid"]


async def test_token_lifetime_setting(make_panel: PanelFactory, clock: ManualClock) -> None:
    """A shorter token lifetime makes GET /websocket mint shorter-lived tokens."""
    panel = await make_panel(wings=fast(), token_lifetime=90)
    socket = await connect(panel, ids(panel)[1])
    await socket.drain()
    clock.advance(31)
    assert await socket.expect("token expiring", within=0.5) == []


async def test_forced_disconnects(sim: PanelClient) -> None:
    """A test closes one server's sockets, or drops them all like a crashed node."""
    first, second = ids(sim)[0], ids(sim)[1]
    one = await connect(sim, first)
    two = await connect(sim, second)
    assert sim.sim.websocket_count() == 2
    assert await sim.sim.disconnect_websockets(first) == 1
    async with asyncio.timeout(1):
        while (message := await one.ws.receive()).type is aiohttp.WSMsgType.TEXT:
            pass
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert message.data == 1001
    assert await sim.sim.disconnect_websockets(abort=True) == 1
    async with asyncio.timeout(1):
        while (await two.ws.receive()).type is aiohttp.WSMsgType.TEXT:
            pass
    await asyncio.sleep(0.05)
    assert sim.sim.websocket_count() == 0


async def test_node_down_drops_and_refuses(sim: PanelClient) -> None:
    """A node going down drops its sockets; new ones fail until it is back."""
    identifier = ids(sim)[1]
    socket = await connect(sim, identifier)
    sim.sim.set_node_down(identifier)
    async with asyncio.timeout(1):
        while (await socket.ws.receive()).type is aiohttp.WSMsgType.TEXT:
            pass
    with pytest.raises(aiohttp.WSServerHandshakeError) as excinfo:
        await connect(sim, identifier)
    assert excinfo.value.status == 502
    sim.sim.set_node_down(identifier, down=False)
    await connect(sim, identifier)


async def test_counts_and_received(sim: PanelClient) -> None:
    """Token requests and inbound events are counted per server."""
    identifier = ids(sim)[1]
    socket = await connect(sim, identifier)
    await socket.send("send stats")
    await socket.send("bogus event")
    await socket.ws.send_str("not json")
    await socket.ws.send_bytes(b"binary")
    await socket.drain()
    assert sim.sim.websocket_token_requests(identifier) == 1
    assert sim.sim.wings.received[identifier] == ["auth", "send stats", "bogus event"]
    # The socket is not a panel request: the panel's log has only the token request.
    assert [r.path for r in sim.sim.requests if identifier in r.path or r.server] == [
        f"/api/client/servers/{identifier}/websocket"
    ]


async def test_deleted_server_forgotten(sim: PanelClient) -> None:
    """Deleting a server drops its socket records: a long run of replacements grows nothing."""
    identifier = ids(sim)[1]
    socket = await connect(sim, identifier)
    await socket.send("send stats")
    await socket.drain()
    sim.sim.console_line(identifier, "hello")
    assert identifier in sim.sim.wings.received
    assert identifier in sim.sim.wings.logs
    sim.sim.remove_server(identifier)
    # pterodactyl/wings: `deleted` ["null"], then close 1001 "server deleted".
    assert await socket.expect("deleted") == ["null"]
    message = await socket.ws.receive(timeout=1)
    assert (message.type, message.data, message.extra) == (
        aiohttp.WSMsgType.CLOSE,
        1001,
        "server deleted",
    )
    assert identifier not in sim.sim.wings.received
    assert identifier not in sim.sim.wings.logs
    assert identifier not in sim.sim.wings.connects


async def test_send_raw_and_event(sim: PanelClient) -> None:
    """Tests can send any frame, valid or not, to a server's sockets."""
    identifier = ids(sim)[1]
    socket = await connect(sim, identifier)
    await socket.drain()
    sim.sim.send_websocket_event(identifier, "daemon error", "boom")
    assert await socket.frame() == ("daemon error", ["boom"])
    sim.sim.wings.send_raw(identifier, "garbage")
    message = await socket.ws.receive(timeout=1)
    assert message.data == "garbage"


async def test_pelican_token_limit(make_panel: PanelFactory) -> None:
    """Pelican refuses the sixth token request a minute for one server."""
    panel = await make_panel(flavor=Flavor.PELICAN, wings=fast())
    identifier = ids(panel)[1]
    statuses = [
        (await panel.get(f"/api/client/servers/{identifier}/websocket")).status for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    assert panel.sim.websocket_token_requests(identifier) == 6


async def test_no_websocket_permission(make_panel: PanelFactory) -> None:
    """A subuser without websocket.connect gets 403 from GET /websocket."""
    panel = await make_panel(wings=fast())
    identifier = ids(panel)[1]
    panel.sim.servers[identifier].access = Access.SUBUSER
    panel.sim.servers[identifier].permissions = ["control.console"]
    reply = await panel.get(f"/api/client/servers/{identifier}/websocket")
    assert reply.status == 403


@pytest.fixture
async def own_sim() -> AsyncIterator[PanelSimulator]:
    """Serve a simulator this test stops itself."""
    sim = PanelSimulator(clock=ManualClock(), wings=fast())
    await sim.start()
    yield sim
    await sim.stop()


async def test_stop_cleans_up(own_sim: PanelSimulator) -> None:
    """Stopping the simulator closes every socket and ends every task it started."""
    async with aiohttp.ClientSession() as session:
        panel = PanelClient(own_sim, session)
        sockets = [await connect(panel, identifier) for identifier in ids(panel)]
        assert own_sim.websocket_count() == 3
        await own_sim.stop()
        for socket in sockets:
            async with asyncio.timeout(1):
                while (await socket.ws.receive()).type is aiohttp.WSMsgType.TEXT:
                    pass
        assert own_sim.websocket_count() == 0
        lingering = [
            t for t in asyncio.all_tasks() if t.get_name().startswith("wings") and not t.done()
        ]
        assert lingering == []


async def ended(socket: Socket) -> aiohttp.WSMessage:
    """Return the message that ends a socket (CLOSE, or CLOSED/ERROR for a dropped one)."""
    async with asyncio.timeout(1):
        while (message := await socket.ws.receive()).type is aiohttp.WSMsgType.TEXT:
            pass
    return message


async def test_pelican_deleted_server_drops_sockets(make_panel: PanelFactory) -> None:
    """pelican-dev/wings cancels the socket on deletion: no close frame."""
    panel = await make_panel(flavor=Flavor.PELICAN, wings=fast())
    identifier = ids(panel)[1]
    socket = await connect(panel, identifier)
    panel.sim.remove_server(identifier)
    assert (await ended(socket)).type is not aiohttp.WSMsgType.CLOSE


async def test_pelican_suspension(make_panel: PanelFactory) -> None:
    """Pelican closes a suspended server's sockets and answers new ones with 4409."""
    panel = await make_panel(flavor=Flavor.PELICAN, wings=fast())
    identifier = ids(panel)[1]
    socket = await connect(panel, identifier)
    _, url = await credentials(panel, identifier)
    panel.sim.suspend(identifier)
    assert (await ended(socket)).type is not aiohttp.WSMsgType.CLOSE
    ws = await panel.session.ws_connect(url, origin=panel.sim.url)
    message = await ws.receive(timeout=1)
    assert (message.type, message.data, message.extra) == (
        aiohttp.WSMsgType.CLOSE,
        4409,
        "server is suspended",
    )


async def test_pterodactyl_suspension_keeps_socket(sim: PanelClient) -> None:
    """pterodactyl/wings leaves sockets open; a start is refused with a daemon error."""
    identifier = ids(sim)[0]
    socket = await connect(sim, identifier)
    await socket.drain()
    sim.sim.suspend(identifier)
    assert await socket.expect("status") == ["stopping"]
    assert await socket.expect("status") == ["offline"]
    await socket.drain()
    await socket.send("set state", "start")
    name, args = await socket.frame()
    assert (name, wrapped(args[0])) == ("daemon error", GENERIC)
    assert sim.sim.servers[identifier].power_state is PowerState.OFFLINE


async def test_set_state_start_while_running(sim: PanelClient) -> None:
    """`start` while up is ErrIsRunning: generic text, the real one with admin.websocket.errors."""
    identifier = ids(sim)[0]
    socket = await connect(sim, identifier)
    await socket.send("set state", "start")
    assert wrapped((await socket.expect("daemon error"))[0]) == GENERIC
    admin = mint_token(
        server=sim.sim.servers[identifier],
        account=sim.sim.account,
        permissions=["*", "admin.websocket.errors"],
        panel_url="",
        node_url="",
        now_unix=sim.sim.unix_time(),
        secret=sim.sim.node_token,
    )
    await socket.send("auth", admin)
    await socket.expect("auth success")
    await socket.send("set state", "start")
    assert wrapped((await socket.expect("daemon error"))[0]) == "server is running"


async def test_pelican_socket_cap(make_panel: PanelFactory) -> None:
    """pelican-dev/wings refuses a 31st socket for one server with 400 before upgrading."""
    panel = await make_panel(flavor=Flavor.PELICAN, wings=fast())
    identifier = ids(panel)[1]
    _, url = await credentials(panel, identifier)
    sockets = [await panel.session.ws_connect(url, origin=panel.sim.url) for _ in range(30)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as excinfo:
        await panel.session.ws_connect(url, origin=panel.sim.url)
    assert excinfo.value.status == 400
    for ws in sockets:
        await ws.close()


async def test_pterodactyl_has_no_socket_cap(sim: PanelClient) -> None:
    """pterodactyl/wings has no cap."""
    _, url = await credentials(sim, ids(sim)[1])
    sockets = [await sim.session.ws_connect(url, origin=sim.sim.url) for _ in range(31)]
    for ws in sockets:
        await ws.close()


async def test_pelican_throttling(make_panel: PanelFactory) -> None:
    """Pelican limits inbound events: `send stats` shares a burst-4 bucket, then `throttled`."""
    panel = await make_panel(flavor=Flavor.PELICAN, wings=fast())
    identifier = ids(panel)[1]
    socket = await connect(panel, identifier)
    await socket.drain()
    for _ in range(6):
        await socket.send("send stats")
    frames = await socket.drain()
    assert events(frames) == ["stats"] * 4 + ["throttled"]
    assert frames[-1] == ("throttled", ["send stats"])
    # The global limiter: burst 10, one more every 200 ms.
    flood = await connect(panel, identifier)
    await flood.drain()
    for _ in range(12):
        await flood.ws.send_str("not json")
    assert await flood.drain() == [("throttled", ["global"])]


async def test_pterodactyl_has_no_throttling(sim: PanelClient) -> None:
    """pterodactyl/wings v1.11.11 has no inbound limiter."""
    socket = await connect(sim, ids(sim)[1])
    await socket.drain()
    for _ in range(12):
        await socket.send("send stats")
    assert events(await socket.drain()) == ["stats"] * 12


async def test_pelican_read_limit(make_panel: PanelFactory) -> None:
    """pelican-dev/wings reads frames of at most 4096 bytes; gorilla closes with 1009."""
    panel = await make_panel(flavor=Flavor.PELICAN, wings=fast())
    socket = await connect(panel, ids(panel)[1])
    await socket.drain()
    await socket.send("send command", "x" * 5000)
    message = await ended(socket)
    assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, 1009)


async def test_pelican_token_claims_and_scope(make_panel: PanelFactory) -> None:
    """Pelican tokens: scope websocket, sha256 jti, no user_id; its Wings requires the scope."""
    panel = await make_panel(flavor=Flavor.PELICAN, wings=fast())
    identifier = ids(panel)[1]
    token, _ = await credentials(panel, identifier)
    claims = claims_of(token)
    assert claims["scope"] == "websocket"
    assert len(claims["jti"]) == 64
    assert "user_id" not in claims
    assert len(claims["unique_id"]) == 16
    unscoped = mint_token(
        server=panel.sim.servers[identifier],
        account=panel.sim.account,
        permissions=["*"],
        panel_url="",
        node_url="",
        now_unix=panel.sim.unix_time(),
        secret=panel.sim.node_token,
    )
    socket = await connect(panel, identifier, auth=False)
    [(name, args)] = await socket.auth(unscoped)
    assert (name, wrapped(args[0])) == ("jwt error", "jwt: missing connect permission")


async def test_pterodactyl_token_claims(sim: PanelClient) -> None:
    """Pterodactyl tokens: md5 jti (also in the header), user_id, no scope."""
    token, _ = await credentials(sim, ids(sim)[1])
    claims = claims_of(token)
    assert len(claims["jti"]) == 32
    assert claims["user_id"] == sim.sim.account.id
    assert "scope" not in claims
    head = token.split(".")[0]
    assert (
        json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["jti"]
        == (claims["jti"])
    )


async def test_stats_shape(make_panel: PanelFactory) -> None:
    """memory_limit_bytes is Docker's bounded limit; Pelican adds disk_io after network."""
    pelican = await make_panel(flavor=Flavor.PELICAN, wings=fast())
    pelican.sim.servers[ids(pelican)[0]].limits.memory = 2048
    socket = await connect(pelican, ids(pelican)[0])
    stats = json.loads((await socket.expect("stats"))[0])
    assert list(stats) == [
        "memory_bytes", "memory_limit_bytes", "cpu_absolute", "network", "disk_io", "uptime",
        "state", "disk_bytes",
    ]  # fmt: skip
    # environment/settings.go BoundedMemoryLimit: 2048 MB x 1.15 overhead x 10^6.
    assert stats["memory_limit_bytes"] == 2_355_200_000
    assert stats["disk_io"]["write_bytes"] > 0


async def test_start_prints_pre_boot_lines(sim: PanelClient) -> None:
    """The onBeforeStart daemon lines come before `status` starting, ANSI-coloured."""
    identifier = ids(sim)[1]
    socket = await connect(sim, identifier)
    await socket.drain()
    await socket.send("set state", "start")
    frames = await socket.drain()
    assert frames[:4] == [
        ("console output", [daemon(text)])
        for text in (
            "Checking server disk space usage, this could take a few seconds...",
            "Updating process configuration files...",
            "Ensuring file permissions are set correctly, this could take a few seconds...",
        )
    ] + [("status", ["starting"])]
    # Daemon lines are not in the container log `send logs` replays.
    sim.sim.servers[identifier].set_power(PowerState.RUNNING)
    await socket.send("send logs")
    replay = [args[0] for name, args in await socket.drain() if name == "console output"]
    assert not any("Daemon]" in line for line in replay)


def daemon(text: str, app: str = "Pterodactyl") -> str:
    """Return a Wings daemon console line (server/console.go)."""
    return f"\x1b[33m\x1b[1m[{app} Daemon]:\x1b[39m {text}\x1b[0m"


CRASH_LINES = [
    "---------- Detected server process in a crashed state! ----------",
    "Exit code: 137",
    "Out of memory: true",
]


async def test_crash_restarts_then_gives_up(sim: PanelClient, clock: ManualClock) -> None:
    """A crash: offline, zeroed stats, three lines, a restart; again within 60 s: no restart."""
    identifier = ids(sim)[0]
    socket = await connect(sim, identifier)
    await socket.drain()
    assert sim.sim.crash(identifier, exit_code=137, oom=True)
    frames = await socket.drain()
    names = events(frames)
    # No `stopping`: the process died by itself (server/server.go OnStateChange).
    assert names[:5] == ["status", "stats", "console output", "console output", "console output"]
    assert frames[0] == ("status", ["offline"])
    assert json.loads(frames[1][1][0])["memory_bytes"] == 0
    assert [args[0] for _, args in frames[2:5]] == [daemon(line) for line in CRASH_LINES]
    assert ("status", ["starting"]) in frames
    assert sim.sim.servers[identifier].power_state is PowerState.STARTING
    clock.advance(30)
    await socket.drain()
    assert sim.sim.crash(identifier, exit_code=137, oom=True)
    frames = await socket.drain()
    lines = [args[0] for name, args in frames if name == "console output"]
    assert lines == [daemon(line) for line in CRASH_LINES] + [
        daemon("Aborting automatic restart, last crash occurred less than 60 seconds ago.")
    ]
    assert sim.sim.servers[identifier].power_state is PowerState.OFFLINE
    assert not sim.sim.crash(identifier)


async def test_crash_detection_disabled(make_panel: PanelFactory) -> None:
    """With crash detection off Wings only says so and leaves the server offline."""
    settings = fast()
    settings.crash_detection = False
    panel = await make_panel(flavor=Flavor.PELICAN, wings=settings)
    identifier = ids(panel)[0]
    socket = await connect(panel, identifier)
    await socket.drain()
    panel.sim.crash(identifier)
    frames = await socket.drain()
    assert ("status", ["offline"]) in frames
    lines = [args[0] for name, args in frames if name == "console output"]
    assert lines == [
        daemon(
            "Aborting automatic restart, crash detection is disabled for this instance.", "pelican"
        )
    ]
    assert panel.sim.servers[identifier].power_state is PowerState.OFFLINE


async def test_unanswered_auth(sim: PanelClient) -> None:
    """A test can make Wings ignore `auth` (assumption: a hung node)."""
    sim.sim.wings.settings.answer_auth = False
    socket = await connect(sim, ids(sim)[1], auth=False)
    token, _ = await credentials(sim, ids(sim)[1])
    assert await socket.auth(token) == []
