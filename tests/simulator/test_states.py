"""409 ServerStateConflictException causes and node problems."""

from collections.abc import Callable

import pytest

from simulator import PanelSimulator, ServerStatus
from tests.simulator.conftest import PanelClient, PanelFactory, Reply

SUSPENDED = "This server is currently suspended and the functionality requested is unavailable."
MAINTENANCE = (
    "The node of this server is currently under maintenance and the functionality requested is "
    "unavailable."
)
INSTALLING = "This server has not yet completed its installation process, please try again later."
RESTORING = "This server is currently restoring from a backup, please try again later."
TRANSFERRING = (
    "This server is currently being transferred to a new machine, please try again later."
)
LEGACY_GENERIC = "An error was encountered while processing this request."
NO_CONNECTION = (
    "Could not establish a connection to the machine running this server. Please try again."
)

type Setup = Callable[[PanelSimulator, str], object]

CAUSES: list[tuple[str, Setup, str]] = [
    ("suspended", lambda sim, sid: sim.suspend(sid), SUSPENDED),
    ("maintenance", lambda sim, sid: sim.set_state(sid, node_maintenance=True), MAINTENANCE),
    ("installing", lambda sim, sid: sim.set_installing(sid), INSTALLING),
    ("install_failed", lambda sim, sid: sim.set_installing(sid, failed=True), INSTALLING),
    (
        "restoring_backup",
        lambda sim, sid: sim.set_state(sid, status=ServerStatus.RESTORING_BACKUP),
        RESTORING,
    ),
    ("transferring", lambda sim, sid: sim.set_state(sid, transferring=True), TRANSFERRING),
]


async def _server_routes(api: PanelClient, identifier: str) -> list[Reply]:
    """Call every server route except GET server."""
    base = f"/api/client/servers/{identifier}"
    return [
        await api.get(f"{base}/resources"),
        await api.get(f"{base}/websocket"),
        await api.post(f"{base}/power", {"signal": "start"}),
        await api.post(f"{base}/command", {"command": "list"}),
    ]


@pytest.mark.parametrize(("cause", "setup", "detail"), CAUSES, ids=[c[0] for c in CAUSES])
async def test_conflicts(panel: PanelClient, cause: str, setup: Setup, detail: str) -> None:
    identifier = next(iter(panel.sim.servers))
    setup(panel.sim, identifier)
    view = await panel.get(f"/api/client/servers/{identifier}")
    assert view.status == 200
    for reply in await _server_routes(panel, identifier):
        assert reply.status == 409
        assert reply.json == {
            "errors": [{"code": "ServerStateConflictException", "status": "409", "detail": detail}]
        }
    assert panel.sim.servers[identifier].power_signals == []


async def test_view_reflects_states(panel: PanelClient) -> None:
    identifier = next(iter(panel.sim.servers))
    panel.sim.set_installing(identifier)
    panel.sim.set_state(identifier, transferring=True, node_maintenance=True)
    attributes = (await panel.get(f"/api/client/servers/{identifier}")).json["attributes"]
    assert attributes["status"] == "installing"
    assert attributes["is_installing"] is True
    assert attributes["is_transferring"] is True
    assert attributes["is_node_under_maintenance"] is True
    panel.sim.suspend(identifier)
    attributes = (await panel.get(f"/api/client/servers/{identifier}")).json["attributes"]
    assert (attributes["status"], attributes["is_suspended"]) == ("suspended", True)


async def test_suspension_wins_and_stops_the_server(panel: PanelClient) -> None:
    identifier = next(iter(panel.sim.servers))
    panel.sim.set_state(identifier, transferring=True, node_maintenance=True)
    panel.sim.suspend(identifier)
    assert panel.sim.servers[identifier].power_state == "offline"
    reply = await panel.get(f"/api/client/servers/{identifier}/resources")
    assert reply.error["detail"] == SUSPENDED
    panel.sim.suspend(identifier, suspended=False)
    assert (await panel.get(f"/api/client/servers/{identifier}/resources")).error["detail"] == (
        MAINTENANCE
    )


async def test_root_admin_websocket_exemption(make_panel: PanelFactory) -> None:
    api = await make_panel(root_admin=True)
    installing, suspended = list(api.sim.servers)[:2]
    api.sim.set_installing(installing)
    api.sim.suspend(suspended)
    assert (await api.get(f"/api/client/servers/{installing}/websocket")).status == 200
    assert (await api.get(f"/api/client/servers/{installing}/resources")).status == 409
    assert (await api.get(f"/api/client/servers/{suspended}/websocket")).status == 409


async def test_legacy_states(make_panel: PanelFactory) -> None:
    """0.7.19's client API checks no server state; its daemon refuses a suspended server.

    pterodactyl/panel routes/api-client.php at v0.7.19 has no AuthenticateServerAccess (the
    403/409 texts came with v0.8); pterodactyl/daemon src/middleware/authorizable.js answers 403
    on every `s:` permission of a suspended server, which the panel wraps per controller.
    """
    api = await make_panel(flavor="legacy", servers=4, running=4)
    suspended, installing, moving, failed = list(api.sim.servers)
    api.sim.suspend(suspended)
    api.sim.set_installing(installing)
    api.sim.set_state(moving, transferring=True)
    api.sim.set_state(failed, status=ServerStatus.REINSTALL_FAILED)
    for identifier in (suspended, installing, moving, failed):
        assert (await api.get(f"/api/client/servers/{identifier}")).status == 200
    for identifier in (installing, moving, failed):
        assert (await api.get(f"/api/client/servers/{identifier}/utilization")).status == 200
        assert (await api.command(identifier, "list")).status == 204
    base = f"/api/client/servers/{suspended}"
    daemon_403 = (
        "There was an exception while attempting to communicate with the daemon resulting in a "
        "HTTP/403 response code. This exception has been logged."
    )
    for reply in (await api.get(f"{base}/utilization"), await api.command(suspended, "list")):
        assert reply.status == 504
        assert reply.error == {
            "code": "DaemonConnectionException", "status": "504", "detail": daemon_403,
        }  # fmt: skip
    # PowerController does not catch Guzzle's ClientException.
    power = await api.power(suspended, "start")
    assert power.json == {
        "errors": [{"code": "ClientException", "status": "500", "detail": LEGACY_GENERIC}]
    }
    assert api.sim.servers[suspended].power_signals == []


async def test_node_down_times_out(make_panel: PanelFactory) -> None:
    api = await make_panel(resources_cache_seconds=0)
    identifier = next(iter(api.sim.servers))
    api.sim.set_node_down(identifier)
    base = f"/api/client/servers/{identifier}"
    assert (await api.get(base)).status == 200
    for reply in (
        await api.get(f"{base}/resources"),
        await api.power(identifier, "stop"),
        await api.command(identifier, "list"),
    ):
        assert reply.status == 504
        assert reply.error["code"] == "DaemonConnectionException"
        assert reply.error["detail"] == NO_CONNECTION
    assert (await api.get(f"{base}/websocket")).status == 200
    assert api.sim.servers[identifier].power_state == "running"
    api.sim.set_node_down(identifier, down=False)
    assert (await api.get(f"{base}/resources")).status == 200


async def test_legacy_daemon_down(make_panel: PanelFactory) -> None:
    """0.7: usage and commands wrap the ConnectException; power lets it through as a 500."""
    api = await make_panel(flavor="legacy")
    identifier = next(iter(api.sim.servers))
    api.sim.set_node_down(identifier)
    base = f"/api/client/servers/{identifier}"
    # resources/lang/en/admin/server.php `exceptions.daemon_exception` at v0.7.19.
    detail = (
        "There was an exception while attempting to communicate with the daemon resulting in a "
        "HTTP/E_CONN_REFUSED response code. This exception has been logged."
    )
    for reply in (await api.get(f"{base}/utilization"), await api.command(identifier, "list")):
        assert reply.status == 504
        assert reply.error == {
            "code": "DaemonConnectionException", "status": "504", "detail": detail,
        }  # fmt: skip
    power = await api.power(identifier, "stop")
    assert power.json == {
        "errors": [{"code": "ConnectException", "status": "500", "detail": LEGACY_GENERIC}]
    }
    assert api.sim.servers[identifier].power_state == "running"


async def test_pelican_node_down_reports_missing(make_panel: PanelFactory) -> None:
    api = await make_panel(flavor="pelican")
    identifier = next(iter(api.sim.servers))
    api.sim.set_node_down(identifier)
    reply = await api.get(f"/api/client/servers/{identifier}/resources")
    assert reply.status == 200
    assert reply.json == {
        "object": "stats",
        "attributes": {
            "current_state": "missing",
            "is_suspended": False,
            "resources": {
                "memory_bytes": 0, "cpu_absolute": 0, "disk_bytes": 0,
                "network_rx_bytes": 0, "network_tx_bytes": 0, "uptime": 0,
            },
        },
    }  # fmt: skip
    power = await api.power(identifier, "stop")
    assert power.status == 500
    assert power.error["detail"] == (
        "An unexpected error was encountered while processing this request, please try again."
    )
