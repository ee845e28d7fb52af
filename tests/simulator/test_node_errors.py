"""Wings answering with errors, the /resources cache, and Pelican's state-check differences."""

import base64
import json
import re

from simulator import ManualClock, ServerStatus
from tests.simulator.conftest import PanelFactory

GENERIC_500 = "An unexpected error was encountered while processing this request, please try again."
SUSPENDED = "This server is currently suspended and the functionality requested is unavailable."
INSTALLING = "This server has not yet completed its installation process, please try again later."


async def test_v1_wings_errors(make_panel: PanelFactory) -> None:
    """1.x DaemonConnectionException: /resources 504 with the code; power keeps Wings' status."""
    api = await make_panel()
    server = next(iter(api.sim.servers.values()))
    base = f"/api/client/servers/{server.identifier}"
    server.wings_error = 404
    stats = await api.get(f"{base}/resources")
    assert (stats.status, stats.error["code"]) == (504, "DaemonConnectionException")
    assert re.fullmatch(
        r"There was an error while communicating with the machine running this server\. This "
        r"error has been logged, please try again\. \(code: 404\) \(request_id: [0-9a-f-]{36}\)",
        stats.error["detail"],
    )
    power = await api.power(server.identifier, "stop")
    assert power.status == 404
    # sprintf('…remote host: %s. (request id: %s)') after Wings' own full stop: "..".
    assert re.fullmatch(
        r"An error occurred on the remote host: The requested resource does not exist on this "
        r"instance\.\. \(request id: [0-9a-f-]{36}\)",
        power.error["detail"],
    )
    server.wings_error = 500
    power = await api.power(server.identifier, "stop")
    assert power.status == 500
    assert "(code: 500)" in power.error["detail"]
    assert server.power_signals == []


async def test_pelican_wings_errors(make_panel: PanelFactory) -> None:
    """Pelican: power 500 RequestException; /resources `missing`; a command lost with a 204.

    DaemonRepository throwIf; getDetails catches everything; Server::send never throws.
    """
    api = await make_panel(flavor="pelican")
    server = next(iter(api.sim.servers.values()))
    base = f"/api/client/servers/{server.identifier}"
    server.wings_error = 500
    power = await api.power(server.identifier, "stop")
    assert power.json == {
        "errors": [{"code": "RequestException", "status": "500", "detail": GENERIC_500}]
    }
    stats = (await api.get(f"{base}/resources")).json["attributes"]
    assert (stats["current_state"], stats["is_suspended"]) == ("missing", False)
    assert (await api.command(server.identifier, "list")).status == 204
    assert server.commands == []
    assert server.power_signals == []


async def test_pelican_missing_is_cached(make_panel: PanelFactory, clock: ManualClock) -> None:
    """getDetails() returns `missing` normally, so cache->remember keeps it for 20 s."""
    api = await make_panel(flavor="pelican", resources_cache_seconds=20)
    identifier = next(iter(api.sim.servers))
    path = f"/api/client/servers/{identifier}/resources"
    api.sim.set_node_down(identifier)
    assert (await api.get(path)).json["attributes"]["current_state"] == "missing"
    api.sim.set_node_down(identifier, down=False)
    assert (await api.get(path)).json["attributes"]["current_state"] == "missing"
    clock.advance(20)
    assert (await api.get(path)).json["attributes"]["current_state"] == "running"


async def test_resources_cache_skips_exceptions(
    make_panel: PanelFactory, clock: ManualClock
) -> None:
    """1.x ResourceUtilizationController caches 20 s; an exception is not cached.

    The simulator's default is no cache (a test convenience); the panel's 20 s is opt-in.
    """
    api = await make_panel(running=0, start_seconds=0, resources_cache_seconds=20)
    identifier = next(iter(api.sim.servers))
    path = f"/api/client/servers/{identifier}/resources"
    api.sim.set_node_down(identifier)
    assert (await api.get(path)).status == 504
    api.sim.set_node_down(identifier, down=False)
    assert (await api.get(path)).json["attributes"]["current_state"] == "offline"
    await api.power(identifier, "start")
    clock.advance(19)
    assert (await api.get(path)).json["attributes"]["current_state"] == "offline"
    clock.advance(1)
    assert (await api.get(path)).json["attributes"]["current_state"] == "running"


async def test_pelican_root_admin_websocket_exemption(make_panel: PanelFactory) -> None:
    """Since 235c8fb Pelican lets an admin open any conflicting server's websocket.

    Suspended and maintenance included (AuthenticateServerAccess); power stays refused.
    """
    api = await make_panel(flavor="pelican", root_admin=True)
    suspended, maintenance, installing = list(api.sim.servers)
    api.sim.suspend(suspended)
    api.sim.set_state(maintenance, node_maintenance=True)
    api.sim.set_installing(installing)
    for identifier in (suspended, maintenance, installing):
        assert (await api.get(f"/api/client/servers/{identifier}/websocket")).status == 200
        assert (await api.get(f"/api/client/servers/{identifier}/resources")).status == 409
    assert (await api.power(suspended, "start")).status == 409


async def test_pelican_reinstall_failed_is_not_installed(make_panel: PanelFactory) -> None:
    """Pelican Server::isFailedInstall includes reinstall_failed; 1.x isInstalled does not."""
    pelican = await make_panel(flavor="pelican")
    identifier = next(iter(pelican.sim.servers))
    pelican.sim.set_state(identifier, status=ServerStatus.REINSTALL_FAILED)
    base = f"/api/client/servers/{identifier}"
    assert (await pelican.get(base)).json["attributes"]["is_installing"] is True
    reply = await pelican.get(f"{base}/resources")
    assert (reply.status, reply.error["detail"]) == (409, INSTALLING)
    assert (await pelican.power(identifier, "stop")).status == 409
    v1 = await make_panel()
    identifier = next(iter(v1.sim.servers))
    v1.sim.set_state(identifier, status=ServerStatus.REINSTALL_FAILED)
    base = f"/api/client/servers/{identifier}"
    assert (await v1.get(base)).json["attributes"]["is_installing"] is False
    assert (await v1.get(f"{base}/resources")).status == 200


async def test_pelican_invalid_signal_authorizes_websocket_connect(
    make_panel: PanelFactory,
) -> None:
    """An invalid signal: Pelican authorizes websocket.connect, 1.x nothing anyone holds."""
    for flavor, status in (("pelican", 422), ("v1", 403)):
        api = await make_panel(flavor=flavor)
        identifier = list(api.sim.servers)[1]
        api.sim.make_subuser(identifier, ["websocket.connect"])
        assert (await api.power(identifier, "explode")).status == status


async def test_pelican_conflict_detail_in_the_panel_locale(make_panel: PanelFactory) -> None:
    """Pelican: `trans('exceptions.server.suspended')` (lang/de/exceptions.php); 1.x English."""
    german = (
        "Dieser Server ist im Moment suspendiert und die erwünschte Funktionalität ist nicht "
        "verfügbar."
    )
    for flavor, detail in (("pelican", german), ("v1", SUSPENDED)):
        api = await make_panel(flavor=flavor, locale="de")
        identifier = next(iter(api.sim.servers))
        api.sim.suspend(identifier)
        reply = await api.get(f"/api/client/servers/{identifier}/resources")
        assert reply.error["detail"] == detail


async def test_websocket_token_issuer_is_the_app_url(make_panel: PanelFactory) -> None:
    """NodeJWTService: `issuedBy(config('app.url'))`, whatever address the request used."""
    api = await make_panel(app_url="https://panel.example.com")
    identifier = next(iter(api.sim.servers))
    token = (await api.get(f"/api/client/servers/{identifier}/websocket")).json["data"]["token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["iss"] == "https://panel.example.com"
