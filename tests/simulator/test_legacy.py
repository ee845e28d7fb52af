"""Pterodactyl 0.7.19 specifics: list filter, validation, permissions and usage units."""

from simulator import Access, ManualClock, PanelSimulator, PowerState, transformers
from simulator.models import MIB, Stats
from tests.simulator.conftest import PanelFactory

LEGACY_GENERIC = "An error was encountered while processing this request."


async def test_legacy_list_filter(make_panel: PanelFactory) -> None:
    """0.7 lists by `?filter=` (ClientController::index at v0.7.19).

    ServerRepository::filterUserAccessServers gives a non-admin asking for all/admin their own
    servers.
    """
    api = await make_panel(flavor="legacy", servers=2)
    first, second = api.sim.servers
    api.sim.make_subuser(second, ["power-start"])
    hidden = api.sim.add_server(access=Access.NONE)

    async def identifiers(query: str) -> list[str]:
        data = (await api.get(f"/api/client?{query}")).json["data"]
        return [s["attributes"]["identifier"] for s in data]

    mine = [first, second]
    assert await identifiers("") == mine
    assert await identifiers("filter=owner") == [first]
    assert await identifiers("filter=all") == mine
    assert await identifiers("filter=admin") == mine
    # 1.x's parameters mean nothing to 0.7.
    assert await identifiers("type=owner") == mine
    assert await identifiers(f"filter[*]={first}") == mine
    api.sim.account.root_admin = True
    assert await identifiers("filter=all") == [*mine, hidden.identifier]
    assert await identifiers("filter=admin") == [hidden.identifier]


async def test_legacy_validation_shape(make_panel: PanelFactory) -> None:
    """0.7 Handler::invalidJson: the rule as the code, `source.field`, no status or meta."""
    api = await make_panel(flavor="legacy")
    identifier = next(iter(api.sim.servers))
    reply = await api.power(identifier, 5)
    assert reply.status == 422
    source = {"field": "signal"}
    assert reply.json == {
        "errors": [
            {"code": "string", "detail": "The signal must be a string.", "source": source},
            {"code": "in", "detail": "The selected signal is invalid.", "source": source},
        ]
    }
    reply = await api.command(identifier, "")
    assert reply.json == {
        "errors": [
            {
                "code": "required",
                "detail": "The command field is required.",
                "source": {"field": "command"},
            }
        ]
    }


async def test_legacy_malformed_json_is_empty_input(make_panel: PanelFactory) -> None:
    """0.7 has no IsValidJson middleware: the body is just missing."""
    api = await make_panel(flavor="legacy")
    identifier = next(iter(api.sim.servers))
    reply = await api.request(
        "POST", f"/api/client/servers/{identifier}/power", data='{"signal": "st'
    )
    assert reply.status == 422
    assert reply.error["code"] == "required"


async def test_legacy_permission_names(make_panel: PanelFactory) -> None:
    """0.7 SendPowerRequest: `can('power-' . signal)`; SendCommandRequest: `send-command`."""
    api = await make_panel(flavor="legacy")
    identifier = list(api.sim.servers)[1]
    api.sim.make_subuser(identifier, ["power-start", "send-command"])
    assert (await api.power(identifier, "start")).status == 204
    refused = await api.power(identifier, "stop")
    assert refused.json == {
        "errors": [{"code": "AccessDeniedHttpException", "status": "403", "detail": LEGACY_GENERIC}]
    }
    api.sim.make_subuser(identifier, ["control.start", "control.console"])
    assert (await api.power(identifier, "start")).status == 403
    assert (await api.command(identifier, "list")).status == 403


async def test_legacy_utilization_units(make_panel: PanelFactory) -> None:
    """0.7 StatsTransformer: PHP round() floats; disk in the daemon's decimal MB."""
    api = await make_panel(flavor="legacy")
    server = next(iter(api.sim.servers.values()))
    server.disk_mb = 850
    stats = (await api.get(f"/api/client/servers/{server.identifier}/utilization")).json
    attributes = stats["attributes"]
    # 850 MiB = 891.29 MB (src/controllers/server.js: Math.round(size / (1000 * 1000))).
    assert attributes["disk"]["current"] == 891.0
    assert isinstance(attributes["disk"]["current"], float)
    assert attributes["disk"]["limit"] == float(server.limits.disk)
    assert isinstance(attributes["memory"]["limit"], float)
    assert isinstance(attributes["cpu"]["limit"], float)
    assert isinstance(attributes["memory"]["current"], float)


def test_legacy_memory_rounds_half_up(clock: ManualClock) -> None:
    """`round(total / 1024 / 1024)`: PHP rounds half away from zero (2.5 MiB is 3)."""
    sim = PanelSimulator(flavor="legacy", servers=1, clock=clock)
    server = next(iter(sim.servers.values()))
    stats = Stats(PowerState.RUNNING, int(2.5 * MIB), 0, 1.0, 0, 0, 0, 1000)
    body = transformers.utilization_object(stats, server, host_cores=2)
    assert body["attributes"]["memory"]["current"] == 3.0
