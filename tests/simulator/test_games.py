"""Game servers answering player queries on loopback, driven by the real client libraries."""

import asyncio

import a2s
from mcstatus import BedrockServer, JavaServer, LegacyServer
import pytest

from simulator import ManualClock, PanelSimulator, PowerSignal, PowerState
from simulator.cli import parse_args, server_line, simulator_from
from simulator.games import Behaviour, GameModel, QueryProtocol
from simulator.games.java import offline_uuid
from tests.simulator.conftest import PanelClient, PanelFactory

# What a game that does not answer costs a test: the clients' own timeouts, kept short.
SHORT = 0.2


@pytest.fixture
async def api(make_panel: PanelFactory) -> PanelClient:
    """Serve one server of every game, all offline, with nobody coming or going on their own."""
    api = await make_panel(games=True, servers=11, running=0)
    assert api.sim.games is not None
    api.sim.games.set_autoplay(False)
    return api


def _running(sim: PanelSimulator, name: str) -> GameModel:
    """Start the named server (running at once) and return its game."""
    server = next(s for s in sim.servers.values() if s.name == name)
    sim.set_state(server.identifier, power=PowerState.RUNNING)
    return sim.game(server.identifier)


def _address(game: GameModel) -> tuple[str, int]:
    """Return where the game answers."""
    assert game.address is not None
    return game.address


def _java(game: GameModel, timeout: float = 2.0) -> JavaServer:
    """Return mcstatus' client for a Minecraft Java game."""
    host, port = _address(game)
    return JavaServer(host, port, timeout=timeout)


async def test_java_status_lists_who_joins_and_leaves(api: PanelClient) -> None:
    game = _running(api.sim, "Survival")
    assert game.protocol is QueryProtocol.MINECRAFT_JAVA
    client = _java(game)
    empty = await client.async_status(tries=1)
    assert (empty.players.online, empty.players.max) == (0, 20)
    # Vanilla leaves an empty sample out.
    assert empty.players.sample is None
    assert empty.version.name == "Paper 1.21.4"
    assert empty.motd.to_plain() == "Main survival world"
    game.join("Alex")
    game.join("Steve")
    status = await client.async_status(tries=1)
    assert status.players.online == 2
    assert status.players.sample is not None
    assert {(p.name, p.id) for p in status.players.sample} == {
        ("Alex", offline_uuid("Alex")),
        ("Steve", offline_uuid("Steve")),
    }
    game.leave("Alex")
    game.max_players = 5
    status = await client.async_status(tries=1)
    assert (status.players.online, status.players.max) == (1, 5)
    assert [p.name for p in status.players.sample or []] == ["Steve"]
    assert game.requests == 3


async def test_java_sample_is_twelve_at_most(api: PanelClient) -> None:
    game = _running(api.sim, "Creative")
    game.max_players = 30
    names = [f"Player{n}" for n in range(15)]
    for name in names:
        game.join(name)
    status = await (_java(game)).async_status(tries=1)
    assert status.players.online == 15
    sample = [p.name for p in status.players.sample or []]
    assert len(sample) == 12
    assert set(sample) <= set(names)


async def test_java_ping_and_legacy_ping(api: PanelClient) -> None:
    game = _running(api.sim, "Survival")
    game.join("Alex")
    assert await (_java(game)).async_ping(tries=1) >= 0
    host, port = _address(game)
    legacy = await LegacyServer(host, port, timeout=2).async_status(tries=1)
    assert (legacy.players.online, legacy.players.max) == (1, 20)
    assert legacy.version.name == "Paper 1.21.4"


async def test_bedrock_status(api: PanelClient) -> None:
    game = _running(api.sim, "Bedrock")
    assert game.protocol is QueryProtocol.MINECRAFT_BEDROCK
    game.join("Alex")
    host, port = _address(game)
    status = await BedrockServer(host, port, timeout=2).async_status(tries=1)
    assert (status.players.online, status.players.max) == (1, 10)
    assert status.version.name == "1.21.50"
    assert status.version.brand == "MCPE"
    assert status.motd.to_plain() == "Bedrock"
    assert status.map_name == "Bedrock survival"
    assert status.gamemode == "Survival"


async def test_source_info_and_players_after_a_challenge(api: PanelClient) -> None:
    game = _running(api.sim, "Counter-Strike 2")
    assert game.protocol is QueryProtocol.SOURCE
    game.join("Alex")
    game.join("Steve")
    address = _address(game)
    info = await a2s.ainfo(address, timeout=2)
    assert isinstance(info, a2s.SourceInfo)
    assert (info.player_count, info.max_players) == (2, 10)
    assert (info.server_name, info.game, info.map_name) == (
        "Counter-Strike 2",
        "Counter-Strike 2",
        "de_dust2",
    )
    assert (info.port, info.game_id) == (address[1], 730)
    players = await a2s.aplayers(address, timeout=2)
    assert [p.name for p in players] == ["Alex", "Steve"]
    # Each query took two datagrams: the challenge's round trip, then the request.
    assert game.requests == 4


async def test_source_splits_long_answers(api: PanelClient) -> None:
    game = _running(api.sim, "Rust")
    names = [f"Survivor_{n:03d}_with_a_rather_long_name" for n in range(50)]
    for name in names:
        game.join(name)
    players = await a2s.aplayers(_address(game), timeout=2)
    assert [p.name for p in players] == names


async def test_allocations_point_at_the_games(api: PanelClient) -> None:
    """The panel lists each game's real address: Valheim answers on port + 1, Rust on its own."""
    listed = {}
    for item in (await api.get("/api/client")).json["data"]:
        attributes = item["attributes"]
        default = next(
            a["attributes"]
            for a in attributes["relationships"]["allocations"]["data"]
            if a["attributes"]["is_default"]
        )
        variables = {
            v["attributes"]["env_variable"]: v["attributes"]["server_value"]
            for v in attributes["relationships"]["variables"]["data"]
        }
        listed[attributes["name"]] = (default["ip"], default["port"], variables)
    by_name = {s.name: s.identifier for s in api.sim.servers.values()}
    games = {
        name: api.sim.game(by_name[name]) for name in ("Survival", "Valheim", "Rust", "Bedrock")
    }
    assert listed["Survival"][:2] == _address(games["Survival"])
    assert listed["Bedrock"][:2] == _address(games["Bedrock"])
    host, port = _address(games["Valheim"])
    assert listed["Valheim"][:2] == (host, port - 1)
    host, port = _address(games["Rust"])
    assert listed["Rust"][:2] == (host, 28015)
    assert listed["Rust"][2]["QUERY_PORT"] == str(port)
    # Games the simulator does not speak keep the fleet's address.
    assert listed["Terraria"][:2] == ("10.0.0.10", 7777)
    terraria = next(s for s in api.sim.servers.values() if s.name == "Terraria")
    with pytest.raises(KeyError):
        api.sim.game(terraria.identifier)


async def test_games_are_off_by_default(make_panel: PanelFactory) -> None:
    sim = (await make_panel()).sim
    assert sim.games is None
    first = next(iter(sim.servers.values()))
    assert (first.allocations[0].ip, first.allocations[0].port) == ("10.0.0.10", 25565)
    with pytest.raises(RuntimeError, match="games=True"):
        sim.game(first.identifier)


async def test_only_a_running_game_answers(api: PanelClient, clock: ManualClock) -> None:
    """Offline, starting and stopping: TCP is refused at once, UDP gets no answer."""
    sim = api.sim
    survival, cs2 = _running(sim, "Survival"), _running(sim, "Counter-Strike 2")
    bedrock = _running(sim, "Bedrock")
    for game in (survival, cs2, bedrock):
        game.server.apply_signal(PowerSignal.STOP)
        assert game.server.power_state is PowerState.STOPPING
    for state in (PowerState.STOPPING, PowerState.OFFLINE, PowerState.STARTING):
        if state is PowerState.OFFLINE:
            clock.advance(sim.stop_seconds)
        if state is PowerState.STARTING:
            for game in (survival, cs2, bedrock):
                game.server.apply_signal(PowerSignal.START)
        assert {g.server.power_state for g in (survival, cs2, bedrock)} == {state}
        with pytest.raises(OSError, match=r"did not respond|reset"):
            await (_java(survival)).async_status(tries=1)
        with pytest.raises(TimeoutError):
            await a2s.ainfo(_address(cs2), timeout=SHORT)
        host, port = _address(bedrock)
        with pytest.raises(TimeoutError):
            await BedrockServer(host, port, timeout=SHORT).async_status(tries=1)
        with pytest.raises(RuntimeError, match="not running"):
            survival.join("Alex")
    assert (survival.requests, cs2.requests, bedrock.requests) == (3, 3, 3)
    clock.advance(sim.start_seconds)
    assert (await (_java(survival)).async_status(tries=1)).players.online == 0


async def test_players_leave_when_the_server_stops_or_crashes(
    api: PanelClient, clock: ManualClock
) -> None:
    sim = api.sim
    game = _running(sim, "Valheim")
    game.join("Ragnar")
    clock.advance(60)
    assert (await a2s.ainfo(_address(game), timeout=2)).player_count == 1
    assert sim.crash(game.server.identifier)
    assert game.players() == []
    clock.advance(sim.start_seconds)
    assert game.server.power_state is PowerState.RUNNING
    assert (await a2s.ainfo(_address(game), timeout=2)).player_count == 0
    game.join("Sigrid")
    game.server.apply_signal(PowerSignal.RESTART)
    clock.advance(sim.stop_seconds + sim.start_seconds)
    assert game.server.power_state is PowerState.RUNNING
    assert await a2s.aplayers(_address(game), timeout=2) == []


async def test_silent_games(api: PanelClient) -> None:
    sim = api.sim
    games = [_running(sim, name) for name in ("Survival", "Bedrock", "Rust")]
    for game in games:
        game.behaviour = Behaviour.SILENT
    with pytest.raises(TimeoutError):
        await (_java(games[0], SHORT)).async_status(tries=1)
    host, port = _address(games[1])
    with pytest.raises(TimeoutError):
        await BedrockServer(host, port, timeout=SHORT).async_status(tries=1)
    with pytest.raises(TimeoutError):
        await a2s.ainfo(_address(games[2]), timeout=SHORT)
    assert [game.requests for game in games] == [1, 1, 1]


async def test_garbage_answers(api: PanelClient) -> None:
    """Each library fails in its own way on what it cannot parse."""
    sim = api.sim
    java, bedrock, source = (_running(sim, n) for n in ("Survival", "Bedrock", "Valheim"))
    for game in (java, bedrock, source):
        game.behaviour = Behaviour.GARBAGE
    with pytest.raises(OSError, match="invalid JSON"):
        await (_java(java)).async_status(tries=1)
    host, port = _address(java)
    with pytest.raises(OSError, match="kick packet"):
        await LegacyServer(host, port, timeout=2).async_status(tries=1)
    host, port = _address(bedrock)
    with pytest.raises(IndexError):
        await BedrockServer(host, port, timeout=2).async_status(tries=1)
    with pytest.raises(a2s.BrokenMessageError):
        await a2s.ainfo(_address(source), timeout=2)
    with pytest.raises(a2s.BrokenMessageError):
        await a2s.aplayers(_address(source), timeout=2)
    for game in (java, bedrock, source):
        game.behaviour = Behaviour.NORMAL
    assert (await (_java(java)).async_status(tries=1)).players.online == 0


async def test_slow_games(api: PanelClient) -> None:
    sim = api.sim
    java, bedrock, source = (_running(sim, n) for n in ("Survival", "Bedrock", "Rust"))
    for game in (java, bedrock, source):
        game.delay = 1.0
    with pytest.raises(TimeoutError):
        await (_java(java, SHORT)).async_status(tries=1)
    host, port = _address(bedrock)
    with pytest.raises(TimeoutError):
        await BedrockServer(host, port, timeout=SHORT).async_status(tries=1)
    with pytest.raises(TimeoutError):
        await a2s.ainfo(_address(source), timeout=SHORT)
    for game in (java, bedrock, source):
        game.delay = 0.05
    status = await (_java(java)).async_status(tries=1)
    assert status.latency >= 50
    status_b = await BedrockServer(host, port, timeout=2).async_status(tries=1)
    assert status_b.latency >= 50
    # a2s times the first round trip only: the challenge's.
    assert (await a2s.ainfo(_address(source), timeout=2)).ping >= 0.05


async def test_players_come_and_go_on_their_own(make_panel: PanelFactory) -> None:
    """Autoplay is deterministic from the seed and the clock; freezing it keeps who is on."""
    seen = []
    for _ in range(2):
        clock = ManualClock()
        sim = (await make_panel(games=True, servers=1, running=0, seed=3, clock=clock)).sim
        game = _running(sim, "Survival")
        assert game.autoplay
        timeline = []
        for _ in range(20):
            clock.advance(120)
            timeline.append(game.players())
        seen.append(timeline)
        online = (await (_java(game)).async_status(tries=1)).players.online
        assert online == len(timeline[-1])
    assert seen[0] == seen[1]
    assert max(len(players) for players in seen[0]) > 1
    assert len({tuple(players) for players in seen[0]}) > 5
    game.autoplay = False
    frozen = game.players()
    clock.advance(36_000)
    assert game.players() == frozen
    game.autoplay = True
    clock.advance(36_000)
    assert game.players() != frozen


async def test_join_rules(api: PanelClient) -> None:
    game = _running(api.sim, "Survival")
    game.max_players = 1
    game.join("Alex")
    game.join("Alex")
    assert game.players() == ["Alex"]
    with pytest.raises(RuntimeError, match="full"):
        game.join("Steve")
    with pytest.raises(KeyError):
        game.leave("Steve")


async def test_servers_added_and_removed(api: PanelClient) -> None:
    sim = api.sim
    server = sim.add_server(template="Bedrock", name="Pocket", power=PowerState.RUNNING)
    game = sim.game(server.identifier)
    host, port = _address(game)
    assert (server.allocations[0].ip, server.allocations[0].port) == (host, port)
    status = await BedrockServer(host, port, timeout=2).async_status(tries=1)
    assert status.motd.to_plain() == "Pocket"
    java = _running(sim, "Survival")
    sim.remove_server(java.server.identifier)
    with pytest.raises(ConnectionRefusedError):
        await (_java(java)).async_status(tries=1)


async def test_restarted_simulator_answers_on_the_same_ports(api: PanelClient) -> None:
    sim = api.sim
    java, source = _running(sim, "Survival"), _running(sim, "Valheim")
    before = (_address(java), _address(source))
    await sim.stop()
    with pytest.raises(ConnectionRefusedError):
        await (_java(java)).async_status(tries=1)
    await sim.start()
    assert (_address(java), _address(source)) == before
    assert (await (_java(java)).async_status(tries=1)).players.online == 0
    assert (await a2s.ainfo(_address(source), timeout=2)).player_count == 0


async def test_waiting_on_a_query(api: PanelClient) -> None:
    """A query wakes `async_wait_for`, so a test can wait for the integration's poll."""
    game = _running(api.sim, "Survival")
    waiting = asyncio.ensure_future(api.sim.async_wait_for(lambda: game.requests > 0))
    await (_java(game)).async_status(tries=1)
    await asyncio.wait_for(waiting, 1)


@pytest.mark.usefixtures("socket_enabled")
async def test_command_line_games_flag() -> None:
    """`python -m simulator --games` serves the games and shows where each answers."""
    assert parse_args([]).games is False
    sim = simulator_from(parse_args(["--games", "--servers", "5", "--running", "1"]))
    try:
        lines = [server_line(sim, server) for server in sim.servers.values()]
        survival = sim.game(next(iter(sim.servers)))
        host, port = _address(survival)
        assert lines[0].endswith(f"running query: minecraft_java {host}:{port}")
        assert "query: source" in lines[2]
        assert lines[4].endswith("(Terraria) offline")
        await sim.start()
        status = await _java(survival).async_status(tries=1)
        assert status.players.max == 20
    finally:
        await sim.stop()
