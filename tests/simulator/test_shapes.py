"""Response shapes of each flavour, read against the panel source."""

import re

import pytest

from simulator import Access, Flavor, tokens
from tests.simulator.conftest import PanelClient, PanelFactory

V1_ATTRIBUTES = {
    "server_owner", "identifier", "internal_id", "uuid", "name", "node",
    "is_node_under_maintenance", "sftp_details", "description", "limits", "invocation",
    "docker_image", "egg_features", "feature_limits", "status", "is_suspended",
    "is_installing", "is_transferring", "relationships",
}  # fmt: skip
LEGACY_ATTRIBUTES = {
    "server_owner", "identifier", "uuid", "name", "description", "limits", "feature_limits",
}  # fmt: skip


@pytest.mark.parametrize(
    ("flavor", "client", "application"),
    [
        ("v1", r"ptlc_[A-Za-z0-9]{43}", r"ptla_[A-Za-z0-9]{43}"),
        ("pelican", r"pacc_[A-Za-z0-9]{43}", r"papp_[A-Za-z0-9]{43}"),
        ("legacy", r"[A-Za-z0-9]{48}", r"[A-Za-z0-9]{48}"),
    ],
)
async def test_key_formats(
    make_panel: PanelFactory, flavor: str, client: str, application: str
) -> None:
    api = await make_panel(flavor=flavor)
    assert re.fullmatch(client, api.sim.client_key)
    assert re.fullmatch(application, api.sim.application_key)
    assert api.sim.client_key != api.sim.application_key
    assert (await api.get("/api/client")).status == 200


async def test_v1_server_list_shape(panel: PanelClient) -> None:
    reply = await panel.get("/api/client")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    body = reply.json
    assert body["object"] == "list"
    assert body["meta"]["pagination"] == {
        "total": 3, "count": 3, "per_page": 50, "current_page": 1, "total_pages": 1, "links": {},
    }  # fmt: skip
    first = body["data"][0]
    assert first["object"] == "server"
    attributes = first["attributes"]
    assert set(attributes) == V1_ATTRIBUTES
    assert attributes["name"] == "Survival"
    assert re.fullmatch(r"[0-9a-f]{8}", attributes["identifier"])
    assert attributes["uuid"].startswith(attributes["identifier"])
    assert set(attributes["limits"]) == {
        "memory", "swap", "disk", "io", "cpu", "threads", "oom_disabled",
    }  # fmt: skip
    assert attributes["feature_limits"] == {"databases": 2, "allocations": 1, "backups": 3}
    assert attributes["sftp_details"] == {"ip": "node1.example.com", "port": 2022}
    assert attributes["status"] is None
    assert "-jar server.jar" in attributes["invocation"]
    relationships = attributes["relationships"]
    allocation = relationships["allocations"]["data"][0]
    assert allocation["object"] == "allocation"
    assert allocation["attributes"]["port"] == 25565
    assert allocation["attributes"]["is_default"] is True
    assert relationships["variables"]["data"][0]["attributes"]["env_variable"] == "SERVER_JARFILE"
    assert [s["attributes"]["name"] for s in body["data"]] == ["Survival", "Creative", "Valheim"]
    # PHP's json_encode escapes slashes.
    assert "ghcr.io\\/pterodactyl" in reply.text


@pytest.mark.parametrize("flavor", ["v1", "pelican"])
async def test_egg_include(make_panel: PanelFactory, flavor: str) -> None:
    """`?include=egg` adds the egg's uuid and name; other names are left out, as Fractal does."""
    api = await make_panel(flavor=flavor)
    plain = (await api.get("/api/client")).json["data"][0]["attributes"]["relationships"]
    assert set(plain) == {"allocations", "variables"}

    listed = await api.get("/api/client?include=egg,nonsense")
    relationships = listed.json["data"][0]["attributes"]["relationships"]
    assert set(relationships) == {"allocations", "variables", "egg"}
    egg = relationships["egg"]
    assert egg["object"] == "egg"
    assert egg["attributes"]["name"] == "Paper"
    assert re.fullmatch(r"[0-9a-f-]{36}", egg["attributes"]["uuid"])
    identifier = listed.json["data"][0]["attributes"]["identifier"]
    viewed = await api.get(f"/api/client/servers/{identifier}?include=egg")
    assert viewed.json["attributes"]["relationships"]["egg"] == egg


async def test_legacy_ignores_includes(make_panel: PanelFactory) -> None:
    """0.7's client transformer offers no includes: the object stays as it was."""
    api = await make_panel(flavor="legacy")
    attributes = (await api.get("/api/client?include=egg")).json["data"][0]["attributes"]
    assert set(attributes) == LEGACY_ATTRIBUTES


async def test_v1_account_shape(panel: PanelClient) -> None:
    reply = await panel.get("/api/client/account")
    assert reply.json == {
        "object": "user",
        "attributes": {
            "id": 1, "admin": False, "username": "demo", "email": "demo@example.com",
            "first_name": "Demo", "last_name": "User", "language": "en",
        },
    }  # fmt: skip


async def test_pelican_shapes(make_panel: PanelFactory) -> None:
    api = await make_panel(flavor="pelican")
    attributes = (await api.get("/api/client")).json["data"][0]["attributes"]
    assert attributes["sftp_details"] == {"ip": "node1.example.com", "alias": None, "port": 2022}
    assert attributes["limits"]["oom_killer"] is False
    assert attributes["limits"]["oom_disabled"] is True
    account = (await api.get("/api/client/account")).json["attributes"]
    assert set(account) == {
        "uuid", "username", "email", "language", "image", "admin", "root_admin",
        "2fa_enabled", "created_at", "updated_at",
    }  # fmt: skip
    assert "id" not in account
    assert "first_name" not in account


async def test_legacy_shapes(make_panel: PanelFactory) -> None:
    api = await make_panel(flavor="legacy")
    body = (await api.get("/api/client")).json
    attributes = body["data"][0]["attributes"]
    assert set(attributes) == LEGACY_ATTRIBUTES
    assert set(attributes["limits"]) == {"memory", "swap", "disk", "io", "cpu"}
    assert set(attributes["feature_limits"]) == {"databases", "allocations"}
    assert body["meta"]["pagination"]["links"] == []
    assert body["meta"]["pagination"]["per_page"] == 15
    identifier = attributes["identifier"]
    view = (await api.get(f"/api/client/servers/{identifier}")).json
    assert "meta" not in view
    assert set(view["attributes"]) == LEGACY_ATTRIBUTES


async def test_legacy_utilization(make_panel: PanelFactory) -> None:
    api = await make_panel(flavor="legacy", host_cores=16)
    running, offline = list(api.sim.servers)[:2]
    on = (await api.get(f"/api/client/servers/{running}/utilization")).json
    assert on["object"] == "stats"
    stats = on["attributes"]
    assert stats["state"] == "on"
    assert stats["memory"]["limit"] == 4096
    assert 0 < stats["memory"]["current"] <= 4096
    assert stats["cpu"]["limit"] == api.sim.servers[running].limits.cpu
    assert len(stats["cpu"]["cores"]) == 16
    assert sum(stats["cpu"]["cores"]) == pytest.approx(stats["cpu"]["current"], abs=0.02)
    assert stats["disk"]["current"] > 0
    assert stats["disk"]["limit"] == 20480
    off = (await api.get(f"/api/client/servers/{offline}/utilization")).json["attributes"]
    assert off["state"] == "off"
    assert off["memory"]["current"] == 0
    assert off["cpu"]["current"] == 0


@pytest.mark.parametrize("route", ["resources", "websocket"])
async def test_legacy_lacks_v1_routes(make_panel: PanelFactory, route: str) -> None:
    api = await make_panel(flavor="legacy")
    identifier = next(iter(api.sim.servers))
    reply = await api.get(f"/api/client/servers/{identifier}/{route}")
    assert reply.status == 404
    assert reply.json == {
        "errors": [
            {
                "code": "NotFoundHttpException",
                "status": "404",
                "detail": "An error was encountered while processing this request.",
            }
        ]
    }
    # An unknown route is matched before authentication, so no rate-limit headers.
    assert "X-RateLimit-Limit" not in reply.headers
    assert (await api.get("/api/client/account")).status == 404


@pytest.mark.parametrize("flavor", ["v1", "pelican"])
async def test_utilization_is_unknown_on_new_panels(make_panel: PanelFactory, flavor: str) -> None:
    api = await make_panel(flavor=flavor)
    identifier = next(iter(api.sim.servers))
    reply = await api.get(f"/api/client/servers/{identifier}/utilization")
    assert reply.status == 404
    assert reply.error["detail"] == (
        f"The route api/client/servers/{identifier}/utilization could not be found."
    )


async def test_wrong_method(panel: PanelClient) -> None:
    reply = await panel.post("/api/client")
    assert reply.status == 405
    assert reply.error["code"] == "MethodNotAllowedHttpException"
    assert reply.error["detail"] == (
        "The POST method is not supported for route api/client. Supported methods: GET, HEAD."
    )


async def test_view_server_by_identifier_and_uuid(panel: PanelClient) -> None:
    server = next(iter(panel.sim.servers.values()))
    by_id = await panel.get(f"/api/client/servers/{server.identifier}")
    by_uuid = await panel.get(f"/api/client/servers/{server.uuid}")
    assert by_id.status == by_uuid.status == 200
    assert by_id.json["attributes"] == by_uuid.json["attributes"]
    assert by_id.json["meta"] == {"is_server_owner": True, "user_permissions": ["*"]}
    # Only exactly 8 characters are treated as the short identifier.
    missing = await panel.get(f"/api/client/servers/{server.uuid[:9]}")
    assert missing.status == 404
    assert missing.error == {
        "code": "NotFoundHttpException",
        "status": "404",
        "detail": "The requested resource could not be found on the server.",
    }


async def test_server_without_access(make_panel: PanelFactory) -> None:
    api = await make_panel(servers=1)
    hidden = api.sim.add_server("Hidden", access=Access.NONE)
    reply = await api.get(f"/api/client/servers/{hidden.identifier}")
    assert reply.status == 404
    assert reply.error["detail"] == "The requested resource does not exist on this server."
    listed = (await api.get("/api/client")).json["data"]
    assert [s["attributes"]["name"] for s in listed] == ["Survival"]


async def test_root_admin(make_panel: PanelFactory) -> None:
    api = await make_panel(servers=1, root_admin=True)
    hidden = api.sim.add_server("Hidden", access=Access.NONE)
    reply = await api.get(f"/api/client/servers/{hidden.identifier}")
    assert reply.status == 200
    assert reply.json["meta"]["is_server_owner"] is False
    assert reply.json["meta"]["user_permissions"] == [
        "*", "admin.websocket.errors", "admin.websocket.install", "admin.websocket.transfer",
    ]  # fmt: skip
    assert (await api.get("/api/client/account")).json["attributes"]["admin"] is True
    admin = (await api.get("/api/client?type=admin")).json["data"]
    assert [s["attributes"]["name"] for s in admin] == ["Hidden"]
    everything = (await api.get("/api/client?type=admin-all")).json["data"]
    assert len(everything) == 2


async def test_subuser_view(panel: PanelClient) -> None:
    server = panel.sim.make_subuser(
        list(panel.sim.servers)[1], ["control.start", "websocket.connect"]
    )
    reply = await panel.get(f"/api/client/servers/{server.identifier}")
    assert reply.json["meta"] == {
        "is_server_owner": False,
        "user_permissions": ["control.start", "websocket.connect"],
    }
    attributes = reply.json["attributes"]
    assert attributes["server_owner"] is False
    # Without startup.read the variables are hidden and the invocation masks their values.
    assert attributes["relationships"]["variables"] == {
        "object": "null_resource",
        "attributes": None,
    }
    assert attributes["invocation"].endswith("-jar [hidden]")
    # Without allocation.read only the primary allocation is shown, without notes.
    assert [
        a["attributes"]["notes"] for a in attributes["relationships"]["allocations"]["data"]
    ] == [None]
    assert (await panel.get("/api/client?type=owner")).json["meta"]["pagination"]["total"] == 2


async def test_websocket_token(panel: PanelClient) -> None:
    server = next(iter(panel.sim.servers.values()))
    reply = await panel.get(f"/api/client/servers/{server.identifier}/websocket")
    assert reply.status == 200
    assert set(reply.json) == {"data"}
    data = reply.json["data"]
    assert panel.sim.url is not None
    host = panel.sim.url.removeprefix("http://")
    assert data["socket"] == f"ws://{host}/api/servers/{server.uuid}/ws"
    claims = tokens.decode(data["token"], panel.sim.node_token)
    assert claims["server_uuid"] == server.uuid
    assert claims["permissions"] == ["*"]
    assert claims["user_id"] == 1
    assert claims["exp"] - claims["iat"] == 600
    with pytest.raises(ValueError, match="signature"):
        tokens.decode(data["token"], "another secret")


async def test_websocket_needs_permission(panel: PanelClient) -> None:
    server = panel.sim.make_subuser(next(iter(panel.sim.servers)), ["control.console"])
    reply = await panel.get(f"/api/client/servers/{server.identifier}/websocket")
    assert reply.status == 403
    assert reply.error == {
        "code": "HttpForbiddenException",
        "status": "403",
        "detail": "You do not have permission to connect to this server's websocket.",
    }


@pytest.mark.parametrize("flavor", list(Flavor))
async def test_seed_is_deterministic(make_panel: PanelFactory, flavor: Flavor) -> None:
    first = await make_panel(flavor=flavor, seed=7, servers=12)
    second = await make_panel(flavor=flavor, seed=7, servers=12)
    other = await make_panel(flavor=flavor, seed=8, servers=12)
    assert list(first.sim.servers) == list(second.sim.servers)
    assert first.sim.client_key == second.sim.client_key
    assert list(first.sim.servers) != list(other.sim.servers)
    names = [s.name for s in first.sim.servers.values()]
    assert names[:5] == ["Survival", "Creative", "Valheim", "Rust", "Terraria"]
    assert names[10:] == ["Bedrock", "Survival 2"]
    states = [s.power_state.value for s in first.sim.servers.values()]
    assert states == ["running"] + ["offline"] * 11
