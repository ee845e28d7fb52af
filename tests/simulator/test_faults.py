"""Fault injection, latency and the request log."""

import asyncio
import json
import time

import aiohttp
import pytest

from simulator import Fault, FaultKind, ManualClock
from tests.simulator.conftest import PanelClient, PanelFactory

GENERIC = "An unexpected error was encountered while processing this request, please try again."
NO_CONNECTION = (
    "Could not establish a connection to the machine running this server. Please try again."
)


@pytest.mark.parametrize(
    ("status", "code", "detail"),
    [
        (500, "ErrorException", GENERIC),
        (504, "DaemonConnectionException", NO_CONNECTION),
        (422, "ValidationException", "The given data was invalid."),
        (418, "HttpException", ""),
    ],
)
async def test_status_fault(panel: PanelClient, status: int, code: str, detail: str) -> None:
    panel.sim.inject_fault(Fault(FaultKind.STATUS, status=status))
    reply = await panel.get("/api/client")
    assert reply.status == status
    assert reply.json == {"errors": [{"code": code, "status": str(status), "detail": detail}]}
    assert (await panel.get("/api/client")).status == status
    panel.sim.clear_faults()
    assert (await panel.get("/api/client")).status == 200


async def test_502_fault_names_a_request_id(panel: PanelClient) -> None:
    panel.sim.inject_fault(Fault(FaultKind.STATUS, status=502, count=1))
    reply = await panel.get("/api/client")
    assert reply.error["detail"].startswith(
        "There was an error while communicating with the machine running this server."
    )
    assert "(code: 502) (request_id: " in reply.error["detail"]


async def test_429_fault_with_retry_after(make_panel: PanelFactory) -> None:
    api = await make_panel(epoch=1_700_000_000.0)
    api.sim.inject_fault(Fault(FaultKind.STATUS, status=429, retry_after=7, count=1))
    reply = await api.get("/api/client")
    assert reply.status == 429
    assert reply.error["detail"] == "Too Many Attempts."
    assert reply.headers["Retry-After"] == "7"
    assert reply.headers["X-RateLimit-Reset"] == str(1_700_000_000 + 7)
    api.sim.inject_fault(Fault(FaultKind.STATUS, status=429, count=1))
    assert "Retry-After" not in (await api.get("/api/client")).headers


async def test_fault_filters_and_count(panel: PanelClient) -> None:
    first, second = list(panel.sim.servers)[:2]
    fault = panel.sim.inject_fault(
        Fault(FaultKind.STATUS, status=503, server=first, path_contains="/resources", count=2)
    )
    assert (await panel.get(f"/api/client/servers/{second}/resources")).status == 200
    assert (await panel.get(f"/api/client/servers/{first}")).status == 200
    assert (await panel.get(f"/api/client/servers/{first}/resources")).status == 503
    assert (await panel.get(f"/api/client/servers/{first}/resources")).status == 503
    assert (await panel.get(f"/api/client/servers/{first}/resources")).status == 200
    assert fault.hits == 2
    assert panel.sim.faults == []
    method = panel.sim.inject_fault(Fault(FaultKind.STATUS, status=500, method="post"))
    assert (await panel.get("/api/client")).status == 200
    assert (await panel.command(first, "list")).status == 500
    # The faulty answer came instead of the panel's, so the command never arrived.
    assert panel.sim.servers[first].commands == []
    panel.sim.remove_fault(method)
    assert (await panel.command(first, "list")).status == 204


async def test_custom_code_detail_headers(panel: PanelClient) -> None:
    panel.sim.inject_fault(
        Fault(FaultKind.STATUS, status=403, code="X", detail="nope", headers={"X-Test": "1"})
    )
    reply = await panel.get("/api/client")
    assert reply.json == {"errors": [{"code": "X", "status": "403", "detail": "nope"}]}
    assert reply.headers["X-Test"] == "1"


async def test_redirect_fault(panel: PanelClient) -> None:
    panel.sim.inject_fault(Fault(FaultKind.REDIRECT_LOGIN, count=2))
    reply = await panel.get("/api/client")
    assert reply.status == 302
    assert reply.headers["Location"].endswith("/auth/login")
    followed = await panel.get("/api/client", follow=True)
    assert followed.status == 200
    assert followed.headers["Content-Type"].startswith("text/html")


async def test_non_json_fault(panel: PanelClient) -> None:
    panel.sim.inject_fault(Fault(FaultKind.NON_JSON, count=1))
    reply = await panel.get("/api/client")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        _ = reply.json
    panel.sim.inject_fault(Fault(FaultKind.NON_JSON, status=502, count=1))
    assert (await panel.get("/api/client")).status == 502


async def test_truncated_json_fault(panel: PanelClient) -> None:
    identifier = list(panel.sim.servers)[1]
    panel.sim.inject_fault(Fault(FaultKind.TRUNCATED_JSON, path_contains="/power", count=1))
    reply = await panel.power(identifier, "start")
    assert reply.status == 200
    with pytest.raises(json.JSONDecodeError):
        _ = reply.json
    # The panel still acted on the request.
    assert panel.sim.servers[identifier].power_signals == ["start"]
    panel.sim.inject_fault(Fault(FaultKind.TRUNCATED_JSON, count=1))
    listing = await panel.get("/api/client")
    assert listing.text.startswith('{"object":"list"')
    assert int(listing.headers["Content-Length"]) == len(listing.text)


async def test_disconnect_mid_body(panel: PanelClient) -> None:
    panel.sim.inject_fault(Fault(FaultKind.DISCONNECT, count=1))
    with pytest.raises(aiohttp.ClientPayloadError):
        await panel.get("/api/client")
    assert (await panel.get("/api/client")).status == 200
    record = panel.sim.api_requests()[0]
    assert (record.status, record.fault) == (200, FaultKind.DISCONNECT)


async def test_close_before_response(panel: PanelClient) -> None:
    panel.sim.inject_fault(Fault(FaultKind.CLOSE))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await panel.get("/api/client")
    panel.sim.clear_faults()
    assert (await panel.get("/api/client")).status == 200
    assert panel.sim.api_requests()[0].status == 0


async def test_delay_fault(panel: PanelClient) -> None:
    panel.sim.inject_fault(Fault(FaultKind.DELAY, delay=30, count=1))
    with pytest.raises(TimeoutError):
        await panel.session.get(
            f"{panel.sim.url}/api/client", timeout=aiohttp.ClientTimeout(total=0.2)
        )
    short = panel.sim.inject_fault(Fault(FaultKind.DELAY, delay=0.05))
    started = time.monotonic()
    assert (await panel.get("/api/client")).status == 200
    assert time.monotonic() - started >= 0.05
    assert short.hits == 1


async def test_huge_body_fault(panel: PanelClient) -> None:
    panel.sim.inject_fault(Fault(FaultKind.HUGE_BODY, size=3 * 1024 * 1024, count=1))
    reply = await panel.get("/api/client")
    assert reply.status == 200
    assert len(reply.text) == 3 * 1024 * 1024
    assert reply.json["object"] == "list"


async def test_faults_only_touch_the_api(panel: PanelClient) -> None:
    panel.sim.inject_fault(Fault(FaultKind.STATUS, status=500))
    assert (await panel.get("/auth/login", key=None)).status == 200


async def test_request_log(panel: PanelClient, clock: ManualClock) -> None:
    first = next(iter(panel.sim.servers))
    server = panel.sim.servers[first]
    await panel.get("/api/client?page=1")
    clock.advance(5)
    await panel.get(f"/api/client/servers/{server.uuid}/resources")
    await panel.power(first, "stop")
    await panel.get("/api/client/servers/deadbeef")
    log = [(r.time, r.method, r.path, r.query, r.status, r.server) for r in panel.sim.requests]
    assert log == [
        (1000.0, "GET", "/api/client", "page=1", 200, None),
        (1005.0, "GET", f"/api/client/servers/{server.uuid}/resources", "", 200, first),
        (1005.0, "POST", f"/api/client/servers/{first}/power", "", 204, first),
        (1005.0, "GET", "/api/client/servers/deadbeef", "", 404, None),
    ]
    assert len(panel.sim.api_requests(server=first)) == 2
    assert len(panel.sim.api_requests(path_contains="/power")) == 1


async def test_latency(make_panel: PanelFactory) -> None:
    api = await make_panel(latency_ms=60)
    started = time.monotonic()
    await asyncio.gather(api.get("/api/client"), api.get("/api/client"))
    elapsed = time.monotonic() - started
    assert 0.06 <= elapsed < 1
    api.sim.latency_ms = 0
    started = time.monotonic()
    await api.get("/api/client")
    assert time.monotonic() - started < 0.06


async def test_request_log_limit(make_panel: PanelFactory) -> None:
    api = await make_panel(request_log_limit=2)
    for page in (1, 2, 3):
        await api.get(f"/api/client?page={page}")
    assert [r.query for r in api.sim.requests] == ["page=2", "page=3"]


async def test_fault_on_one_exact_path(panel: PanelClient) -> None:
    """A fault on "/api/client" hits the server list only, not the routes below it."""
    server = next(iter(panel.sim.servers))
    fault = panel.sim.inject_fault(Fault(FaultKind.STATUS, status=500, path="/api/client"))
    assert (await panel.get("/api/client")).status == 500
    assert (await panel.get("/api/client/account")).status == 200
    assert (await panel.get(f"/api/client/servers/{server}/resources")).status == 200
    assert fault.hits == 1
