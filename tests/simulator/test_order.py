"""Which failures come first, and which are counted by the throttle, per flavour.

pterodactyl/panel app/Http/Kernel.php and app/Providers/RouteServiceProvider.php (v1.11.8);
pelican-dev/panel bootstrap/app.php and routes/api-client.php; pterodactyl/panel
app/Http/Kernel.php (v0.7.19).
"""

import pytest

from simulator import Access
from tests.simulator.conftest import PanelClient, PanelFactory, Reply

NOT_FOUND = "The requested resource could not be found on the server."
LEGACY_GENERIC = "An error was encountered while processing this request."
UNKNOWN = "/api/client/servers/zzzzzzzz"


async def _remaining(api: PanelClient) -> int:
    """Return the account's remaining attempts after one more counted request."""
    reply = await api.get("/api/client")
    assert reply.status == 200
    return int(reply.headers["X-RateLimit-Remaining"])


def _uncounted(reply: Reply, status: int) -> None:
    assert reply.status == status
    assert "X-RateLimit-Limit" not in reply.headers


@pytest.mark.parametrize("flavor", ["v1", "pelican"])
async def test_failures_before_the_throttle(make_panel: PanelFactory, flavor: str) -> None:
    """Malformed JSON (400), unknown server (404) and application keys (403) are not counted."""
    api = await make_panel(flavor=flavor)
    identifier = next(iter(api.sim.servers))
    limit = api.sim.rate_limit
    malformed = await api.request(
        "POST", f"/api/client/servers/{identifier}/power", data='{"signal": "st'
    )
    _uncounted(malformed, 400)
    unknown = await api.get(UNKNOWN)
    _uncounted(unknown, 404)
    assert unknown.error["detail"] == NOT_FOUND
    _uncounted(await api.get("/api/client", key="application"), 403)
    _uncounted(await api.get(f"/api/client/servers/{identifier}", key="application"), 403)
    assert await _remaining(api) == limit - 1


async def test_v1_two_factor_before_the_throttle(make_panel: PanelFactory) -> None:
    api = await make_panel(require_2fa=True)
    _uncounted(await api.get("/api/client"), 400)
    # /account is exempt (withoutMiddleware in routes/api-client.php) and counted.
    account = await api.get("/api/client/account")
    assert account.status == 200
    assert account.headers["X-RateLimit-Remaining"] == str(api.sim.rate_limit - 1)


async def test_v1_authentication_before_the_binding(make_panel: PanelFactory) -> None:
    api = await make_panel()
    assert (await api.get(UNKNOWN, key=None)).status == 401


async def test_pelican_binding_before_authentication(make_panel: PanelFactory) -> None:
    """Laravel 11+'s default `api` group starts with SubstituteBindings."""
    api = await make_panel(flavor="pelican")
    for key in (None, "pacc_notarealkeynotarealkeynotarealkeynotarealke"):
        reply = await api.get(UNKNOWN, key=key)
        _uncounted(reply, 404)
        assert reply.error["detail"] == NOT_FOUND
    identifier = next(iter(api.sim.servers))
    assert (await api.get(f"/api/client/servers/{identifier}", key=None)).status == 401


@pytest.mark.parametrize("flavor", ["v1", "pelican"])
async def test_no_access_and_conflicts_are_counted(make_panel: PanelFactory, flavor: str) -> None:
    api = await make_panel(flavor=flavor)
    hidden = api.sim.add_server(access=Access.NONE)
    suspended = next(iter(api.sim.servers))
    api.sim.suspend(suspended)
    for reply in (
        await api.get(f"/api/client/servers/{hidden.identifier}"),
        await api.get(f"/api/client/servers/{suspended}/resources"),
    ):
        assert reply.status in (404, 409)
        assert "X-RateLimit-Limit" in reply.headers
    assert await _remaining(api) == api.sim.rate_limit - 3


@pytest.mark.parametrize("flavor", ["pelican", "legacy"])
async def test_two_factor_only_on_v1(make_panel: PanelFactory, flavor: str) -> None:
    """Only 1.x requires 2FA on the client API.

    Pelican registers RequireTwoFactorAuthentication on its Filament panels only; 0.7's
    `client-api` group has none.
    """
    api = await make_panel(flavor=flavor, require_2fa=True)
    assert (await api.get("/api/client")).status == 200


async def test_legacy_throttle_before_the_key(make_panel: PanelFactory) -> None:
    """0.7's `throttle:60,1` comes first in `client-api`: key failures are counted."""
    api = await make_panel(flavor="legacy", rate_limit=3)
    missing = await api.get("/api/client", key=None)
    assert missing.status == 401
    assert missing.headers["X-RateLimit-Remaining"] == "2"
    bad = await api.get("/api/client", key="x" * 48)
    assert (bad.status, bad.headers["X-RateLimit-Remaining"]) == (403, "1")
    assert (await api.get("/api/client")).status == 200
    refused = await api.get("/api/client", key=None)
    assert refused.status == 429
    assert refused.json == {
        "errors": [{"code": "ThrottleRequestsException", "status": "429", "detail": LEGACY_GENERIC}]
    }


async def test_legacy_unknown_server_is_a_500(make_panel: PanelFactory) -> None:
    """0.7 answers an unknown server (or a full uuid) with a TypeError's 500.

    SubstituteClientApiBindings binds `uuidShort` only, to null when unknown;
    AuthenticateClientAccess passes null to DaemonKeyProviderService::handle(Server $server).
    """
    api = await make_panel(flavor="legacy")
    server = next(iter(api.sim.servers.values()))
    for path in (UNKNOWN, f"/api/client/servers/{server.uuid}"):
        reply = await api.get(path)
        assert reply.json == {
            "errors": [{"code": "FatalThrowableError", "status": "500", "detail": LEGACY_GENERIC}]
        }
        assert "X-RateLimit-Limit" in reply.headers
    # The key is checked first.
    assert (await api.get(UNKNOWN, key=None)).status == 401


async def test_legacy_no_access(make_panel: PanelFactory) -> None:
    api = await make_panel(flavor="legacy")
    hidden = api.sim.add_server(access=Access.NONE)
    reply = await api.get(f"/api/client/servers/{hidden.identifier}")
    assert reply.json == {
        "errors": [{"code": "NotFoundHttpException", "status": "404", "detail": LEGACY_GENERIC}]
    }


async def test_legacy_wrong_method(make_panel: PanelFactory) -> None:
    api = await make_panel(flavor="legacy")
    reply = await api.post("/api/client")
    assert reply.status == 405
    assert reply.error == {
        "code": "MethodNotAllowedHttpException",
        "status": "405",
        "detail": LEGACY_GENERIC,
    }
