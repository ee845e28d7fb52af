"""Rate limiting per user and per route."""

import pytest

from simulator import ManualClock
from simulator.ratelimit import RateLimiter
from tests.simulator.conftest import PanelFactory


def test_limiter_windows(clock: ManualClock) -> None:
    limiter = RateLimiter(clock, lambda: 1_700_000_000.0 + clock())
    assert [limiter.hit("a", 2).remaining for _ in range(2)] == [1, 0]
    refused = limiter.hit("a", 2)
    assert not refused.allowed
    assert refused.retry_after == 60
    clock.advance(59.5)
    # Refused requests do not move the window.
    assert limiter.hit("a", 2).retry_after == 1
    assert limiter.hit("b", 2).allowed
    clock.advance(0.5)
    assert limiter.hit("a", 2).allowed


def test_limiter_forgets_ended_windows(clock: ManualClock) -> None:
    """Buckets of deleted servers do not pile up: ended windows are dropped once a window."""
    limiter = RateLimiter(clock, lambda: 1_700_000_000.0 + clock())
    for server in range(50):
        limiter.hit(f"websocket:server:{server}", 5)
    clock.advance(61)
    limiter.hit("websocket:server:new", 5)
    assert list(limiter._windows) == ["websocket:server:new"]


@pytest.mark.parametrize(("flavor", "limit"), [("v1", 720), ("pelican", 256), ("legacy", 60)])
async def test_default_limits_and_headers(
    make_panel: PanelFactory, flavor: str, limit: int
) -> None:
    api = await make_panel(flavor=flavor)
    identifier = list(api.sim.servers)[1]
    replies = [
        await api.get("/api/client"),
        await api.get(f"/api/client/servers/{identifier}"),
        # Errors after authentication carry the headers too.
        await api.command(identifier, "say hi"),
    ]
    assert [r.headers["X-RateLimit-Limit"] for r in replies] == [str(limit)] * 3
    assert [r.headers["X-RateLimit-Remaining"] for r in replies] == [
        str(limit - 1), str(limit - 2), str(limit - 3),
    ]  # fmt: skip
    assert "Retry-After" not in replies[0].headers


async def test_too_many_attempts(make_panel: PanelFactory, clock: ManualClock) -> None:
    api = await make_panel(rate_limit=3, epoch=1_700_000_000.0)
    for _ in range(3):
        assert (await api.get("/api/client")).status == 200
    clock.advance(10)
    refused = await api.get("/api/client")
    assert refused.status == 429
    assert refused.json == {
        "errors": [
            {"code": "ThrottleRequestsException", "status": "429", "detail": "Too Many Attempts."}
        ]
    }
    assert refused.headers["Retry-After"] == "50"
    assert refused.headers["X-RateLimit-Reset"] == str(1_700_000_000 + 10 + 50)
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Limit"] == "3"
    # All of a user's keys share one bucket.
    assert (await api.get("/api/client", key=api.sim.new_client_key())).status == 429
    clock.advance(50)
    again = await api.get("/api/client")
    assert again.status == 200
    assert again.headers["X-RateLimit-Remaining"] == "2"


async def test_legacy_utilization_route_limit(make_panel: PanelFactory) -> None:
    """0.7's `throttle:15,1` on /utilization: 15 reads a minute per user, within 60 per address.

    The group's `throttle:60,1` runs before AuthenticateKey and keys by IP; the route's runs
    after it has logged the key's user in and keys by the user: two counters.
    """
    api = await make_panel(flavor="legacy")
    identifier = next(iter(api.sim.servers))
    replies = [await api.get(f"/api/client/servers/{identifier}/utilization") for _ in range(16)]
    assert [r.status for r in replies] == [200] * 15 + [429]
    # Answers show the account's limit (the outer throttle's headers are added last) ...
    assert replies[0].headers["X-RateLimit-Limit"] == "60"
    assert [r.headers["X-RateLimit-Remaining"] for r in replies[:15]] == [
        str(60 - n) for n in range(1, 16)
    ]
    # ... the refusal too: Laravel 5.7's Routing\Pipeline renders the inner 429 and the outer
    # throttle overwrites Limit and Remaining; Retry-After and Reset stay the inner one's.
    assert replies[15].headers["X-RateLimit-Limit"] == "60"
    assert replies[15].headers["X-RateLimit-Remaining"] == str(60 - 16)
    assert replies[15].headers["Retry-After"] == "60"
    # The list has no route throttle: only the address's 60 count.
    listing = await api.get("/api/client")
    assert listing.status == 200
    assert listing.headers["X-RateLimit-Remaining"] == str(60 - 17)


async def test_pelican_websocket_limit_per_server(make_panel: PanelFactory) -> None:
    api = await make_panel(flavor="pelican")
    first, second = list(api.sim.servers)[:2]
    statuses = [(await api.get(f"/api/client/servers/{first}/websocket")).status for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert (await api.get(f"/api/client/servers/{second}/websocket")).status == 200


async def test_pelican_token_answers_show_the_nearer_limit(make_panel: PanelFactory) -> None:
    """Laravel writes the headers of whichever nested throttle has fewer attempts left."""
    api = await make_panel(flavor="pelican")
    identifier = next(iter(api.sim.servers))
    token = await api.get(f"/api/client/servers/{identifier}/websocket")
    assert (token.headers["X-RateLimit-Limit"], token.headers["X-RateLimit-Remaining"]) == (
        "5",
        "4",
    )
    listing = await api.get("/api/client")
    assert (listing.headers["X-RateLimit-Limit"], listing.headers["X-RateLimit-Remaining"]) == (
        "256",
        "254",
    )


async def test_pelican_token_limit_counts_before_the_permission(make_panel: PanelFactory) -> None:
    """The token throttle is route middleware: a request the controller refuses counts too."""
    api = await make_panel(flavor="pelican")
    identifier = next(iter(api.sim.servers))
    api.sim.make_subuser(identifier, ["control.console"])
    statuses = [
        (await api.get(f"/api/client/servers/{identifier}/websocket")).status for _ in range(6)
    ]
    assert statuses == [403] * 5 + [429]
