"""The test-facing PanelSimulator API: fleet management and serving."""

from pathlib import Path
import ssl

import aiohttp
import pytest

from simulator import Access, Limits, ManualClock, PanelSimulator, PowerState, ServerStatus
from tests.certificates import make_certificate
from tests.simulator.conftest import PanelClient


def test_add_and_remove_servers(clock: ManualClock) -> None:
    sim = PanelSimulator(servers=0, clock=clock)
    assert sim.servers == {}
    survival = sim.add_server()
    custom = sim.add_server(
        "Modded",
        description="Forge pack",
        limits=Limits(memory=8192, cpu=0),
        power=PowerState.RUNNING,
        status=ServerStatus.REINSTALL_FAILED,
    )
    assert survival.name == "Survival"
    assert custom.game == "Minecraft"
    assert (custom.name, custom.description, custom.limits.memory) == ("Modded", "Forge pack", 8192)
    assert custom.power_state is PowerState.RUNNING
    assert custom.internal_id == 2
    assert sim.server(custom.uuid) is custom
    assert sim.remove_server(custom.identifier) is custom
    assert list(sim.servers) == [survival.identifier]
    with pytest.raises(KeyError):
        sim.server(custom.identifier)
    with pytest.raises(TypeError, match="unknown server fields"):
        sim.add_server(colour="blue")


def test_subuser_defaults_to_no_permissions(clock: ManualClock) -> None:
    sim = PanelSimulator(servers=0, clock=clock)
    server = sim.add_server(access=Access.SUBUSER)
    assert server.permissions == []
    assert not server.can("control.start")
    granted = sim.add_server(access=Access.SUBUSER, permissions=["control.start"])
    assert granted.can("control.start")
    assert not granted.can("control.stop")


def test_set_state(clock: ManualClock) -> None:
    sim = PanelSimulator(servers=1, running=0, clock=clock)
    identifier = next(iter(sim.servers))
    server = sim.set_state(
        identifier, status=ServerStatus.INSTALLING, node_down=True, power=PowerState.STOPPING
    )
    assert (server.status, server.node_down, server.power_state) == (
        ServerStatus.INSTALLING, True, PowerState.STOPPING,
    )  # fmt: skip
    sim.set_state(identifier, node_down=False)
    assert server.status is ServerStatus.INSTALLING
    # A call, so mypy does not keep the narrowed type across the change.
    assert sim.set_state(identifier, status=None).status is None
    assert server.power_signals == []


def test_unix_time_follows_the_clock(clock: ManualClock) -> None:
    sim = PanelSimulator(servers=0, clock=clock, epoch=1_700_000_000.0)
    assert sim.unix_time() == 1_700_000_000.0
    clock.advance(12.5)
    assert sim.unix_time() == 1_700_000_012.5


@pytest.mark.usefixtures("socket_enabled")
async def test_context_manager_serves_on_loopback() -> None:
    async with PanelSimulator(servers=1) as sim:
        assert sim.url is not None
        assert sim.url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError, match="already started"):
            await sim.start()
        headers = {"Authorization": f"Bearer {sim.client_key}", "Accept": "application/json"}
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{sim.url}/api/client", headers=headers) as response,
        ):
            assert response.status == 200
    assert sim.url is None


async def test_servers_added_while_serving(panel: PanelClient) -> None:
    added = panel.sim.add_server("Late")
    assert (await panel.get(f"/api/client/servers/{added.identifier}")).status == 200
    assert (await panel.get("/api/client")).json["meta"]["pagination"]["total"] == 4
    panel.sim.remove_server(added.identifier)
    assert (await panel.get(f"/api/client/servers/{added.identifier}")).status == 404


@pytest.mark.usefixtures("socket_enabled")
async def test_https_and_restart_with_another_certificate(tmp_path: Path) -> None:
    """The panel serves HTTPS, and restarts on the same port with a renewed certificate."""
    first, second = make_certificate(tmp_path, "first"), make_certificate(tmp_path, "second")
    sim = PanelSimulator(servers=1)
    url = await sim.start(ssl_context=first.server_context())
    headers = {"Authorization": f"Bearer {sim.client_key}", "Accept": "application/json"}
    try:
        assert url.startswith("https://127.0.0.1:")
        for certificate in (first, second):
            trusting = ssl.create_default_context(cafile=certificate.cert_path)
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{url}/api/client", headers=headers, ssl=trusting) as response,
            ):
                assert response.status == 200
            if certificate is first:
                await sim.stop()
                port = int(url.rsplit(":", 1)[1])
                assert await sim.start(port=port, ssl_context=second.server_context()) == url
        # The first certificate no longer matches what the panel presents.
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await session.get(
                    f"{url}/api/client", ssl=ssl.create_default_context(cafile=first.cert_path)
                )
    finally:
        await sim.stop()
