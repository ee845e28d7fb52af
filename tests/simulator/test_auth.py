"""Authentication, key types, Accept negotiation and 2FA."""

import pytest

from tests.simulator.conftest import PanelClient, PanelFactory

# pterodactyl/panel app/Exceptions/Handler.php::convertToArray at v0.7.19.
LEGACY_GENERIC = "An error was encountered while processing this request."
UNAUTHENTICATED = {
    "errors": [{"code": "AuthenticationException", "status": "401", "detail": "Unauthenticated."}]
}


@pytest.mark.parametrize("flavor", ["v1", "pelican"])
@pytest.mark.parametrize("key", [None, "ptlc_notarealkeynotarealkeynotarealkeynotarealkey", ""])
async def test_missing_or_invalid_key(
    make_panel: PanelFactory, flavor: str, key: str | None
) -> None:
    api = await make_panel(flavor=flavor)
    reply = await api.get("/api/client", key=key)
    assert reply.status == 401
    assert reply.json == UNAUTHENTICATED
    # Authentication runs before throttling.
    assert "X-RateLimit-Limit" not in reply.headers


async def test_revoked_key(panel: PanelClient) -> None:
    panel.sim.revoke_key(panel.sim.client_key)
    assert (await panel.get("/api/client")).status == 401


async def test_bearer_must_be_spelled_like_laravel(panel: PanelClient) -> None:
    headers = {"Authorization": f"bearer {panel.sim.client_key}"}
    reply = await panel.get("/api/client", key=None, headers=headers)
    assert reply.status == 401


async def test_non_json_accept_redirects_to_login(panel: PanelClient) -> None:
    reply = await panel.get("/api/client", key=None, accept="text/html")
    assert reply.status == 302
    assert panel.sim.url is not None
    assert reply.headers["Location"] == f"{panel.sim.url}/auth/login"
    followed = await panel.get("/api/client", key=None, accept=None, follow=True)
    assert followed.status == 200
    assert followed.headers["Content-Type"].startswith("text/html")
    assert "Login" in followed.text


@pytest.mark.parametrize(
    ("accept", "json_expected"),
    [
        ("application/json", True),
        ("Application/vnd.pterodactyl.v1+json", True),
        ("text/html, application/json", False),
        ("text/html;q=0.5, application/json", True),
        ("*/*", False),
    ],
)
async def test_accept_negotiation(panel: PanelClient, accept: str, json_expected: bool) -> None:
    reply = await panel.get("/api/client", key=None, accept=accept)
    assert reply.status == (401 if json_expected else 302)


async def test_xhr_without_accept_gets_json(panel: PanelClient) -> None:
    reply = await panel.get(
        "/api/client", key=None, accept=None, headers={"X-Requested-With": "XMLHttpRequest"}
    )
    assert reply.status == 401


async def test_successful_responses_ignore_accept(panel: PanelClient) -> None:
    reply = await panel.get("/api/client", accept="text/html")
    assert reply.status == 200
    assert reply.json["object"] == "list"


@pytest.mark.parametrize("flavor", ["v1", "pelican"])
async def test_application_key_on_client_route(make_panel: PanelFactory, flavor: str) -> None:
    api = await make_panel(flavor=flavor)
    reply = await api.get("/api/client", key="application")
    assert reply.status == 403
    assert reply.error == {
        "code": "AccessDeniedHttpException",
        "status": "403",
        "detail": (
            "You are attempting to use an application API key on an endpoint that requires a "
            "client API key."
        ),
    }


async def test_legacy_auth(make_panel: PanelFactory) -> None:
    api = await make_panel(flavor="legacy")
    missing = await api.get("/api/client", key=None)
    assert missing.status == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert missing.json == {
        "errors": [{"code": "HttpException", "status": "401", "detail": LEGACY_GENERIC}]
    }
    for key in ("x" * 48, "application"):
        reply = await api.get("/api/client", key=key)
        assert reply.status == 403
        assert reply.json == {
            "errors": [
                {"code": "AccessDeniedHttpException", "status": "403", "detail": LEGACY_GENERIC}
            ]
        }


async def test_two_factor_required(make_panel: PanelFactory) -> None:
    api = await make_panel(require_2fa=True)
    identifier = next(iter(api.sim.servers))
    for path in ("/api/client", f"/api/client/servers/{identifier}"):
        reply = await api.get(path)
        assert reply.status == 400
        assert reply.error == {
            "code": "TwoFactorAuthRequiredException",
            "status": "400",
            "detail": (
                "Two-factor authentication is required on this account in order to access this "
                "endpoint."
            ),
        }
    assert (await api.get("/api/client/account")).status == 200
    api.sim.account.two_factor_enabled = True
    assert (await api.get("/api/client")).status == 200


async def test_extra_keys_work(panel: PanelClient) -> None:
    second = panel.sim.new_client_key()
    assert second != panel.sim.client_key
    assert (await panel.get("/api/client", key=second)).status == 200
