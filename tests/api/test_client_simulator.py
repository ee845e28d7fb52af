"""End-to-end tests of the client against the panel simulator over loopback, in every flavour."""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.pterodactyl.api import (
    PanelFlavor,
    PowerSignal,
    PterodactylAuthenticationError,
    PterodactylClient,
    PterodactylNodeUnavailableError,
    PterodactylServerOfflineError,
    ServerState,
    Utilization,
)
from simulator import Flavor, ManualClock, PanelSimulator, PowerState

pytestmark = pytest.mark.usefixtures("socket_enabled")

FLAVORS = {
    Flavor.V1: PanelFlavor.PTERODACTYL,
    Flavor.LEGACY: PanelFlavor.LEGACY,
    Flavor.PELICAN: PanelFlavor.PELICAN,
}


@pytest.fixture(params=list(FLAVORS), ids=str)
def flavor(request: pytest.FixtureRequest) -> Flavor:
    """Run a test once per simulated panel generation."""
    value: Flavor = request.param
    return value


@pytest.fixture
async def sim(flavor: Flavor) -> AsyncIterator[PanelSimulator]:
    """Serve a panel with enough servers for two list pages, the first one running."""
    async with PanelSimulator(flavor=flavor, servers=105, running=1, clock=ManualClock()) as panel:
        yield panel


@pytest.fixture
async def panel_client(sim: PanelSimulator, session: aiohttp.ClientSession) -> PterodactylClient:
    """Return a client for the simulator with its client key, flavour detected as in production."""
    assert sim.url is not None
    client = PterodactylClient(sim.url, sim.client_key, session=session)
    if sim.spec.has_account_route:
        await client.get_account()
    return client


async def test_list_and_utilization(
    sim: PanelSimulator, panel_client: PterodactylClient, flavor: Flavor
) -> None:
    """List every server across pages and read their usage, detecting the generation."""
    servers = await panel_client.list_servers()
    assert [server.identifier for server in servers] == list(sim.servers)
    first, second = servers[0].identifier, servers[1].identifier
    results = await panel_client.get_utilizations([first, second])
    assert panel_client.flavor is FLAVORS[flavor]
    running, stopped = results[first], results[second]
    assert isinstance(running, Utilization)
    assert isinstance(stopped, Utilization)
    assert (running.state, stopped.state) == (ServerState.RUNNING, ServerState.OFFLINE)
    assert running.memory_bytes > 0


async def test_power_and_command(
    sim: PanelSimulator, panel_client: PterodactylClient, flavor: Flavor
) -> None:
    """Start an offline server, then send it a command; a stopped one refuses commands."""
    identifier = list(sim.servers)[1]
    await panel_client.send_power_signal(identifier, PowerSignal.START)
    assert sim.servers[identifier].power_state is PowerState.STARTING
    assert (await panel_client.get_utilization(identifier)).state is ServerState.STARTING

    sim.set_state(identifier, power=PowerState.RUNNING)
    await panel_client.send_command(identifier, "say hello")
    assert sim.servers[identifier].commands == ["say hello"]

    await panel_client.send_power_signal(identifier, PowerSignal.KILL)
    assert sim.servers[identifier].power_state is PowerState.OFFLINE
    sim.requests.clear()
    with pytest.raises(PterodactylServerOfflineError) as excinfo:
        await panel_client.send_command(identifier, "say nobody hears this")
    # Pelican would answer 204 and drop it: the server's state, read first, says it is offline.
    statuses = {Flavor.LEGACY: 412, Flavor.V1: 502, Flavor.PELICAN: None}
    assert excinfo.value.status == statuses[flavor]
    assert [r.path.rsplit("/", 1)[-1] for r in sim.api_requests()] == (
        ["resources"] if flavor is Flavor.PELICAN else ["command"]
    )
    assert sim.servers[identifier].commands == ["say hello"]


@pytest.mark.parametrize("flavor", [Flavor.PELICAN])
async def test_command_with_a_known_state(
    sim: PanelSimulator, panel_client: PterodactylClient
) -> None:
    """A caller that knows the state live (Wings) spares Pelican's check."""
    identifier = list(sim.servers)[1]
    sim.requests.clear()
    with pytest.raises(PterodactylServerOfflineError):
        await panel_client.send_command(identifier, "list", state=ServerState.OFFLINE)
    sim.set_state(identifier, power=PowerState.RUNNING)
    await panel_client.send_command(identifier, "list", state=ServerState.RUNNING)
    assert [r.path.rsplit("/", 1)[-1] for r in sim.api_requests()] == ["command"]
    assert sim.servers[identifier].commands == ["list"]


async def test_node_down(sim: PanelSimulator, panel_client: PterodactylClient) -> None:
    """Report an unreachable node the same way whether the panel says 504 or 'missing'."""
    identifier = next(iter(sim.servers))
    sim.set_node_down(identifier)
    with pytest.raises(PterodactylNodeUnavailableError):
        await panel_client.get_utilization(identifier)


async def test_revoked_key(sim: PanelSimulator, panel_client: PterodactylClient) -> None:
    """Report a revoked key as an authentication failure on every generation."""
    sim.revoke_key(sim.client_key)
    with pytest.raises(PterodactylAuthenticationError):
        await panel_client.list_servers()


@pytest.mark.parametrize("flavor", [Flavor.PELICAN, Flavor.V1])
async def test_token_route_does_not_set_the_account_limit(
    sim: PanelSimulator, panel_client: PterodactylClient
) -> None:
    """Pelican's token answers carry its own 5-a-minute limit: the account's stays as it was."""
    await panel_client.list_servers()
    account_limit = sim.rate_limit
    assert panel_client.rate_limit.limit == account_limit
    identifiers = list(sim.servers)[:3]
    for identifier in identifiers:
        await panel_client.get_websocket_credentials(identifier)
    assert panel_client.rate_limit.limit == account_limit
