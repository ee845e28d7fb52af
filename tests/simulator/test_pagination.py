"""GET /api/client pagination and filters."""

from tests.simulator.conftest import PanelClient, PanelFactory


async def test_pages_and_links(make_panel: PanelFactory) -> None:
    api = await make_panel(servers=7)
    assert api.sim.url is not None
    base = f"{api.sim.url}/api/client"
    first = (await api.get("/api/client?per_page=3")).json
    assert first["meta"]["pagination"] == {
        "total": 7,
        "count": 3,
        "per_page": 3,
        "current_page": 1,
        "total_pages": 3,
        "links": {"next": f"{base}?per_page=3&page=2"},
    }
    middle = (await api.get("/api/client?page=2&per_page=3")).json["meta"]["pagination"]
    assert middle["links"] == {
        "previous": f"{base}?page=1&per_page=3",
        "next": f"{base}?page=3&per_page=3",
    }
    last = (await api.get("/api/client?per_page=3&page=3")).json
    assert last["meta"]["pagination"]["count"] == 1
    assert last["meta"]["pagination"]["links"] == {"previous": f"{base}?per_page=3&page=2"}
    names = [
        s["attributes"]["name"]
        for page in (1, 2, 3)
        for s in (await api.get(f"/api/client?per_page=3&page={page}")).json["data"]
    ]
    assert names == [s.name for s in api.sim.servers.values()]
    beyond = (await api.get("/api/client?per_page=3&page=9")).json
    assert beyond["data"] == []
    assert beyond["meta"]["pagination"]["current_page"] == 9


async def test_per_page_bounds(make_panel: PanelFactory) -> None:
    api = await make_panel(servers=120, running=0)
    default = (await api.get("/api/client")).json["meta"]["pagination"]
    assert (default["per_page"], default["count"], default["total_pages"]) == (50, 50, 3)
    capped = (await api.get("/api/client?per_page=500")).json["meta"]["pagination"]
    assert (capped["per_page"], capped["count"]) == (100, 100)
    zero = (await api.get("/api/client?per_page=0")).json["meta"]["pagination"]
    assert zero["per_page"] == 15
    junk = (await api.get("/api/client?per_page=abc&page=-2")).json["meta"]["pagination"]
    assert (junk["per_page"], junk["current_page"]) == (50, 1)


async def test_legacy_links(make_panel: PanelFactory) -> None:
    """0.7 pages by a fixed 15 (config/pterodactyl.php) and ignores `per_page`."""
    api = await make_panel(flavor="legacy", servers=30)
    assert api.sim.url is not None
    first = (await api.get("/api/client?per_page=50")).json["meta"]["pagination"]
    assert (first["per_page"], first["count"], first["total_pages"]) == (15, 15, 2)
    # No ->appends($request->query()) in 0.7: the link keeps `page` only.
    assert first["links"] == {"next": f"{api.sim.url}/api/client?page=2"}
    last = (await api.get("/api/client?page=2")).json["meta"]["pagination"]
    assert list(last["links"]) == ["previous"]
    single = await make_panel(flavor="legacy", servers=3)
    assert (await single.get("/api/client")).json["meta"]["pagination"]["links"] == []


async def test_filters(panel: PanelClient) -> None:
    sim = panel.sim
    survival = next(iter(sim.servers.values()))

    async def names(query: str) -> list[str]:
        data = (await panel.get(f"/api/client?{query}")).json["data"]
        return [s["attributes"]["name"] for s in data]

    assert await names("filter[name]=ALH") == ["Valheim"]
    assert await names(f"filter[*]={survival.identifier}") == ["Survival"]
    assert await names(f"filter[*]={survival.uuid[:13]}") == ["Survival"]
    assert await names("filter[*]=crea") == ["Creative"]
    assert await names("filter[*]=:2456") == ["Valheim"]
    assert await names("filter[*]=10.0.0.10:25566") == ["Creative"]
    # The port matches as a prefix (`LIKE "{port}%"`, MultiFieldServerFilter).
    assert await names("filter[*]=:2556") == ["Survival", "Creative"]
    assert await names("filter[*]=10.0.0.10:2556") == ["Survival", "Creative"]
    assert await names("type=admin") == []
    assert await names("type=admin-all") == []
