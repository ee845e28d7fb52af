"""Crashes and starts that never finish, as Wings announces them on the console socket."""

import pytest

from simulator import Flavor, ManualClock, PowerState

from .conftest import PanelClient, PanelFactory
from .test_wings import CRASH_LINES, connect, daemon, events, fast, ids

pytestmark = pytest.mark.usefixtures("socket_enabled")

# What a Paper server prints once started: its egg's `startup.done` is ")! For help, type ".
READY = '[Server thread/INFO]: Done (4.812s)! For help, type "help"'


async def state(panel: PanelClient, identifier: str) -> str:
    """Return `current_state` from GET …/resources."""
    reply = await panel.get(f"/api/client/servers/{identifier}/resources")
    assert reply.status == 200, reply.text
    current: str = reply.json["attributes"]["current_state"]
    return current


@pytest.mark.parametrize("flavor", [Flavor.V1, Flavor.PELICAN])
async def test_a_start_that_never_finishes(
    make_panel: PanelFactory, clock: ManualClock, flavor: Flavor
) -> None:
    """Without its done line the server stays `starting`; once printed, it runs."""
    panel = await make_panel(flavor=flavor, wings=fast())
    identifier = ids(panel)[1]
    socket = await connect(panel, identifier)
    await socket.drain()
    panel.sim.stall_start(identifier)
    assert (await panel.power(identifier, "start")).status == 204
    # A hundred times its start time, within the socket token's ten minutes.
    clock.advance(300)
    frames = await socket.drain()
    assert ("status", ["starting"]) in frames
    assert ("status", ["running"]) not in frames
    assert ("console output", [READY]) not in frames
    assert await state(panel, identifier) == "starting"
    panel.sim.stall_start(identifier, stalled=False)
    frames = await socket.drain()
    assert [args for name, args in frames if name == "status"] == [["running"]]
    assert ("console output", [READY]) in frames
    assert await state(panel, identifier) == "running"


async def test_stalled_in_the_middle_of_a_start(
    make_panel: PanelFactory, clock: ManualClock
) -> None:
    """Stalling a server that is starting keeps it there; later starts finish normally again."""
    panel = await make_panel()
    identifier = ids(panel)[1]
    server = panel.sim.servers[identifier]
    await panel.power(identifier, "start")
    clock.advance(1)
    panel.sim.stall_start(identifier)
    clock.advance(60)
    assert server.power_state is PowerState.STARTING
    # A restart of a stuck server stays stuck too.
    await panel.power(identifier, "restart")
    clock.advance(60)
    assert server.power_state is PowerState.STARTING
    panel.sim.stall_start(identifier, stalled=False)
    await panel.power(identifier, "kill")
    await panel.power(identifier, "start")
    clock.advance(server.start_seconds)
    assert server.power_state is PowerState.RUNNING


async def test_crash_of_a_stuck_start(make_panel: PanelFactory) -> None:
    """A process dying while starting is a crash too; Wings' restart is stuck again."""
    panel = await make_panel(wings=fast())
    identifier = ids(panel)[1]
    panel.sim.stall_start(identifier)
    socket = await connect(panel, identifier)
    await panel.power(identifier, "start")
    await socket.drain()
    assert panel.sim.crash(identifier, exit_code=137, oom=True)
    frames = await socket.drain()
    # server/crash.go prints through PublishConsoleOutputFromDaemon: `console output`, not
    # `daemon message`.
    assert "daemon message" not in events(frames)
    lines = [args[0] for name, args in frames if name == "console output"]
    assert lines[:3] == [daemon(line) for line in CRASH_LINES]
    assert frames[0] == ("status", ["offline"])
    assert ("status", ["starting"]) in frames
    assert panel.sim.servers[identifier].power_state is PowerState.STARTING


async def test_dying_while_stopping_is_no_crash(make_panel: PanelFactory) -> None:
    """Wings sets `stopping` first, so a process ending then is no crash: no lines, no restart."""
    panel = await make_panel(wings=fast())
    identifier = ids(panel)[0]
    socket = await connect(panel, identifier)
    await panel.power(identifier, "stop")
    await socket.drain()
    assert panel.sim.crash(identifier)
    frames = await socket.drain()
    assert "console output" not in events(frames)
    assert ("status", ["offline"]) in frames
    assert panel.sim.servers[identifier].power_state is PowerState.OFFLINE
