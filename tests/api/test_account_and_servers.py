"""Tests of the account, the paginated server list and a single server, on every flavour."""

from typing import Any

from aioresponses import aioresponses
import pytest

from custom_components.pterodactyl.api import (
    Account,
    PanelFlavor,
    PterodactylClient,
    PterodactylInvalidResponseError,
    Server,
    ServerAddress,
    ServerLimits,
    client as client_module,
)

from .common import (
    api_url,
    calls,
    error_body,
    list_url,
    load_json,
    server_item,
    server_page,
    server_url,
)

MIB = 1024 * 1024


async def test_pterodactyl_account(client: PterodactylClient, mock_panel: aioresponses) -> None:
    """Read a Pterodactyl (1.x and 0.7) account; the flavour is left for /resources to tell."""
    mock_panel.get(api_url("account"), payload=load_json("pterodactyl_account"))
    assert await client.get_account() == Account(
        id="1", username="steve", email="steve@example.com", admin=True, language="en"
    )
    assert client.flavor is None


async def test_legacy_panel_has_no_account_route(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Stand the panel in for the account on 0.7, which has no /account, and remember 0.7."""
    mock_panel.get(
        api_url("account"),
        status=404,
        payload=error_body(
            "NotFoundHttpException", 404, "The requested resource could not be found."
        ),
    )
    assert await client.get_account() == client_module.LEGACY_ACCOUNT
    assert client.flavor is PanelFlavor.LEGACY


async def test_pelican_account(client: PterodactylClient, mock_panel: aioresponses) -> None:
    """Read a Pelican account by uuid and root_admin, and remember the panel is Pelican."""
    mock_panel.get(api_url("account"), payload=load_json("pelican_account"))
    assert await client.get_account() == Account(
        id="5b2a4e7c-0f41-4c0e-9a4b-6d1f2e3c4b5a",
        username="alex",
        email="alex@example.com",
        admin=True,
        language="de",
    )
    assert client.flavor is PanelFlavor.PELICAN


async def test_pelican_account_without_root_admin(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Tell Pelican by a uuid without an id even if root_admin is absent."""
    payload = load_json("pelican_account")
    del payload["attributes"]["root_admin"]
    del payload["attributes"]["email"]
    mock_panel.get(api_url("account"), payload=payload)
    account = await client.get_account()
    assert (account.admin, account.email) == (False, "")
    assert client.flavor is PanelFlavor.PELICAN


@pytest.mark.parametrize(
    ("fixture", "change"),
    [
        ("pterodactyl_account", {"id": None}),
        ("pterodactyl_account", {"id": True}),
        ("pterodactyl_account", {"id": ""}),
        ("pterodactyl_account", {"id": [1]}),
        ("pterodactyl_account", {"username": None}),
        ("pterodactyl_account", {"username": ""}),
        ("pelican_account", {"uuid": 3.5}),
    ],
)
async def test_account_missing_fields(
    client: PterodactylClient, mock_panel: aioresponses, fixture: str, change: dict[str, Any]
) -> None:
    """Refuse an account without a usable id or username."""
    payload = load_json(fixture)
    payload["attributes"].update(change)
    mock_panel.get(api_url("account"), payload=payload)
    with pytest.raises(PterodactylInvalidResponseError, match="account"):
        await client.get_account()


async def test_account_without_attributes(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Refuse a user object whose attributes are not an object."""
    mock_panel.get(api_url("account"), payload={"object": "user", "attributes": []})
    with pytest.raises(PterodactylInvalidResponseError):
        await client.get_account()


async def test_pterodactyl_server_fields(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Map a 1.x server: MiB limits to bytes, cpu in %, flags and node."""
    mock_panel.get(server_url("1a7ce997"), payload=load_json("pterodactyl_server"))
    assert await client.get_server("1a7ce997") == Server(
        identifier="1a7ce997",
        uuid="1a7ce997-259b-452e-8b4e-cecc464142ca",
        name="Survival",
        description="Main survival world",
        node="Node 01",
        limits=ServerLimits(memory_bytes=4096 * MIB, disk_bytes=20480 * MIB, cpu_percent=200.0),
        is_owner=True,
        is_suspended=False,
        is_installing=False,
        is_transferring=False,
        is_restoring=False,
        is_node_under_maintenance=False,
        egg="Paper",
        docker_image="ghcr.io/pterodactyl/yolks:java_17",
        address=ServerAddress(host="203.0.113.10", port=25565),
        egg_features=("eula", "java_version", "pid_limit"),
        invocation="java -Xms128M -Xmx4096M -jar server.jar",
        backup_limit=5,
    )


async def test_legacy_server_fields(client: PterodactylClient, mock_panel: aioresponses) -> None:
    """Map a 0.7 server, which has no node, status or state flags."""
    mock_panel.get(server_url("d3aac109"), payload=load_json("legacy_server"))
    assert await client.get_server("d3aac109") == Server(
        identifier="d3aac109",
        uuid="d3aac109-e5a0-4331-b03e-3454f7e136dc",
        name="Survival",
        description="",
        node=None,
        limits=ServerLimits(memory_bytes=1024 * MIB, disk_bytes=5000 * MIB, cpu_percent=200.0),
        is_owner=True,
        is_suspended=False,
        is_installing=False,
        is_transferring=False,
        is_restoring=False,
        is_node_under_maintenance=False,
    )


async def test_pelican_server_fields(client: PterodactylClient, mock_panel: aioresponses) -> None:
    """Map a Pelican server: no description, 0 limits are unlimited, subuser and flags."""
    mock_panel.get(server_url("9f3b2c1d"), payload=load_json("pelican_server"))
    assert await client.get_server("9f3b2c1d") == Server(
        identifier="9f3b2c1d",
        uuid="9f3b2c1d-8e7f-4a6b-9c5d-4e3f2a1b0c9d",
        name="Valheim",
        description="",
        node="pelican-node-1",
        limits=ServerLimits(memory_bytes=None, disk_bytes=10240 * MIB, cpu_percent=None),
        is_owner=False,
        is_suspended=False,
        is_installing=False,
        is_transferring=True,
        is_restoring=False,
        is_node_under_maintenance=True,
        egg="Valheim",
        docker_image="ghcr.io/parkervcp/steamcmd:debian",
        # Its default allocation listens on every address: the node's host reaches it.
        address=ServerAddress(host="node1.example.net", port=2456),
        invocation="./valheim_server.x86_64 -name Vikings",
        backup_limit=3,
    )


@pytest.mark.parametrize(
    ("allocation", "address"),
    [
        ({"ip": "203.0.113.10", "ip_alias": "play.example.com"}, "play.example.com:25565"),
        ({"ip": "2001:db8::7", "ip_alias": None}, "[2001:db8::7]:25565"),
        ({"ip": "::", "ip_alias": None}, "node01.example.com:25565"),
        ({"ip": "203.0.113.10", "port": "25565"}, None),
        ({"ip": "203.0.113.10", "port": 0}, None),
        ({"ip": "203.0.113.10", "is_default": False}, None),
        ({"ip": None, "ip_alias": None}, None),
    ],
)
async def test_server_address(
    client: PterodactylClient,
    mock_panel: aioresponses,
    allocation: dict[str, Any],
    address: str | None,
) -> None:
    """Read the default allocation's alias, else its IP, else the node's host; skip garbage."""
    payload = load_json("pterodactyl_server")
    payload["attributes"]["relationships"]["allocations"]["data"][0]["attributes"].update(
        allocation
    )
    mock_panel.get(server_url("1a7ce997"), payload=payload)
    server = await client.get_server("1a7ce997")
    assert (str(server.address) if server.address else None) == address


@pytest.mark.parametrize(
    "relationships",
    [None, [], {"egg": None, "allocations": "none"}, {"egg": {"attributes": {"name": 7}}}],
)
async def test_server_with_odd_relationships(
    client: PterodactylClient, mock_panel: aioresponses, relationships: Any
) -> None:
    """A panel (or plugin) sending odd relationships still lists the server, without extras."""
    payload = load_json("pterodactyl_server")
    payload["attributes"]["relationships"] = relationships
    mock_panel.get(server_url("1a7ce997"), payload=payload)
    server = await client.get_server("1a7ce997")
    assert (server.name, server.egg, server.address) == ("Survival", None, None)


@pytest.mark.parametrize(
    ("attributes", "flag"),
    [
        ({"status": "suspended"}, "is_suspended"),
        ({"is_suspended": True}, "is_suspended"),
        ({"status": "installing"}, "is_installing"),
        ({"status": "install_failed"}, "is_installing"),
        ({"status": "reinstall_failed"}, "is_installing"),
        ({"is_installing": True}, "is_installing"),
        ({"status": "restoring_backup"}, "is_restoring"),
        ({"is_transferring": True}, "is_transferring"),
        ({"is_node_under_maintenance": True}, "is_node_under_maintenance"),
    ],
)
async def test_server_state_flags(
    client: PterodactylClient, mock_panel: aioresponses, attributes: dict[str, Any], flag: str
) -> None:
    """Raise exactly the flag the status or boolean says."""
    mock_panel.get(
        server_url("1a7ce997"),
        payload=server_item("pterodactyl_server", "1a7ce997", **attributes),
    )
    server = await client.get_server("1a7ce997")
    flags = (
        "is_suspended",
        "is_installing",
        "is_transferring",
        "is_restoring",
        "is_node_under_maintenance",
    )
    assert {name for name in flags if getattr(server, name)} == {flag}


async def test_server_without_limits_or_owner(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Treat absent limits as unlimited and an absent server_owner as owned."""
    payload = load_json("legacy_server")
    del payload["attributes"]["limits"]
    del payload["attributes"]["server_owner"]
    mock_panel.get(server_url("d3aac109"), payload=payload)
    server = await client.get_server("d3aac109")
    assert server.limits == ServerLimits(memory_bytes=None, disk_bytes=None, cpu_percent=None)
    assert server.is_owner is True


@pytest.mark.parametrize(
    "change",
    [
        {"identifier": None},
        {"uuid": ""},
        {"name": 42},
        {"limits": None},
        {"limits": {"memory": -1, "disk": 0, "cpu": 0}},
        {"limits": {"memory": "1024", "disk": 0, "cpu": 0}},
        {"limits": {"memory": 1024, "disk": float("nan"), "cpu": 0}},
        {"limits": {"memory": 1024, "disk": 0, "cpu": 10**400}},
        {"limits": {"memory": True, "disk": 0, "cpu": 0}},
    ],
)
async def test_server_invalid_fields(
    client: PterodactylClient, mock_panel: aioresponses, change: dict[str, Any]
) -> None:
    """Refuse a server with missing names or nonsensical limits (json.dumps writes NaN as is)."""
    payload = load_json("pterodactyl_server")
    payload["attributes"].update(change)
    mock_panel.get(server_url("1a7ce997"), payload=payload)
    with pytest.raises(PterodactylInvalidResponseError):
        await client.get_server("1a7ce997")


@pytest.mark.parametrize(
    ("fixture", "legacy"),
    [("pterodactyl_server", False), ("legacy_server", True), ("pelican_server", False)],
)
async def test_list_follows_every_page(
    client: PterodactylClient, mock_panel: aioresponses, fixture: str, legacy: bool
) -> None:
    """Follow pages until the last, whatever the flavour's links look like."""
    pages = [["aaaa0001", "aaaa0002"], ["aaaa0003", "aaaa0004"], ["aaaa0005"]]
    for number, identifiers in enumerate(pages, start=1):
        items = [server_item(fixture, identifier) for identifier in identifiers]
        mock_panel.get(
            list_url(number),
            payload=server_page(items, page=number, total_pages=len(pages), legacy=legacy),
        )
    servers = await client.list_servers()
    assert [server.identifier for server in servers] == [
        "aaaa0001",
        "aaaa0002",
        "aaaa0003",
        "aaaa0004",
        "aaaa0005",
    ]
    for number in range(1, len(pages) + 1):
        assert len(calls(mock_panel, "GET", list_url(number))) == 1


async def test_list_single_page_without_meta(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Stop after one page when the panel sends no pagination meta."""
    mock_panel.get(
        list_url(1),
        payload={"object": "list", "data": [server_item("legacy_server", "d3aac109")]},
    )
    assert [server.identifier for server in await client.list_servers()] == ["d3aac109"]
    assert calls(mock_panel, "GET", list_url(2)) == []


@pytest.mark.parametrize("meta", [{"pagination": "none"}, ["pagination"], {}])
async def test_list_with_odd_meta(
    client: PterodactylClient, mock_panel: aioresponses, meta: Any
) -> None:
    """Read one page when meta or its pagination is not an object."""
    mock_panel.get(
        list_url(1),
        payload={
            "object": "list",
            "data": [server_item("pelican_server", "9f3b2c1d")],
            "meta": meta,
        },
    )
    assert len(await client.list_servers()) == 1


async def test_list_stops_at_an_empty_page(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Stop at an empty page even if the panel claims more follow."""
    mock_panel.get(list_url(1), payload=server_page([], page=1, total_pages=5))
    assert await client.list_servers() == []
    assert calls(mock_panel, "GET", list_url(2)) == []


async def test_list_keeps_the_first_copy_of_a_shifted_server(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """List a server once when a server created during paging pushed it onto the next page."""
    first = [server_item("pterodactyl_server", "aaaa0001", name="First")]
    second = [
        server_item("pterodactyl_server", "aaaa0001", name="Shifted"),
        server_item("pterodactyl_server", "aaaa0002"),
    ]
    mock_panel.get(list_url(1), payload=server_page(first, page=1, total_pages=2))
    mock_panel.get(list_url(2), payload=server_page(second, page=2, total_pages=2))
    servers = await client.list_servers()
    assert [(server.identifier, server.name) for server in servers] == [
        ("aaaa0001", "First"),
        ("aaaa0002", "Survival"),
    ]


async def test_list_refuses_endless_pages(
    client: PterodactylClient, mock_panel: aioresponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Give up on a panel that claims more pages forever."""
    monkeypatch.setattr(client_module, "MAX_PAGES", 3)
    for number in range(1, 4):
        item = server_item("pterodactyl_server", f"aaaa000{number}")
        mock_panel.get(list_url(number), payload=server_page([item], page=number, total_pages=99))
    with pytest.raises(PterodactylInvalidResponseError, match="pages"):
        await client.list_servers()
    assert len(mock_panel.requests) == 3


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "list"},
        {"object": "list", "data": {"object": "server"}},
        {"object": "list", "data": [{"object": "server", "attributes": None}]},
        {"object": "list", "data": [], "meta": {"pagination": {"current_page": -1}}},
        {"object": "list", "data": [], "meta": {"pagination": {"total_pages": "2"}}},
    ],
)
async def test_list_invalid_shapes(
    client: PterodactylClient, mock_panel: aioresponses, payload: dict[str, Any]
) -> None:
    """Refuse a list without a data list, with broken items or broken page numbers."""
    mock_panel.get(list_url(1), payload=payload)
    with pytest.raises(PterodactylInvalidResponseError):
        await client.list_servers()


@pytest.mark.parametrize(
    ("meta", "granted"),
    [
        ({"is_server_owner": True, "user_permissions": ["*"]}, {"*"}),
        (
            {"is_server_owner": False, "user_permissions": ["schedule.read", "control.start"]},
            {"schedule.read", "control.start"},
        ),
        ({"is_server_owner": False, "user_permissions": []}, set()),
    ],
)
async def test_permissions_on_a_server(
    client: PterodactylClient,
    mock_panel: aioresponses,
    meta: dict[str, Any],
    granted: set[str],
) -> None:
    """GET /servers/{id} says what the account may do there: its meta.user_permissions."""
    payload = {**load_json("pterodactyl_server"), "meta": meta}
    mock_panel.get(api_url("servers/1a7ce997"), payload=payload)
    assert await client.get_permissions("1a7ce997") == granted


@pytest.mark.parametrize(
    "meta", [None, [], {"user_permissions": None}, {"user_permissions": ["schedule.read", 1]}]
)
async def test_permissions_malformed(
    client: PterodactylClient, mock_panel: aioresponses, meta: Any
) -> None:
    """A server answer without a list of permission names is refused."""
    payload = {**load_json("pterodactyl_server"), "meta": meta}
    mock_panel.get(api_url("servers/1a7ce997"), payload=payload)
    with pytest.raises(PterodactylInvalidResponseError):
        await client.get_permissions("1a7ce997")
