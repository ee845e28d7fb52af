"""Pacing: the client never sends more in a minute than the panel allows, however it is asked."""

import asyncio

import aiohttp
import pytest

from benchmarks.virtual_time import VirtualTimeLoop
from custom_components.pterodactyl.api import PterodactylClient, PterodactylRateLimitError
from custom_components.pterodactyl.api.pacing import SlidingWindowLimiter
from simulator import PanelSimulator


async def _burst(requests: int, rate_limit: int) -> tuple[PanelSimulator, float]:
    """Send `requests` requests at once; return the panel and the simulated seconds they took."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop)
    sim = PanelSimulator(flavor="pelican", servers=1, clock=loop.time, rate_limit=rate_limit)
    await sim.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            client = PterodactylClient(sim.url, sim.client_key, session=session)
            loop.leaping = True
            started = loop.time()
            await asyncio.gather(*(client.get_account() for _ in range(requests)))
            return sim, loop.time() - started
    finally:
        loop.leaping = False
        await sim.stop()


@pytest.mark.usefixtures("socket_enabled")
def test_a_burst_waits_for_the_limit_instead_of_getting_429s() -> None:
    """150 requests at once against a panel allowing 60 a minute: all answered, none refused."""
    # Simulated time: the two minutes of waiting take a moment.
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        sim, elapsed = runner.run(_burst(150, rate_limit=60))
    statuses = [record.status for record in sim.requests]
    assert len(statuses) == 150
    assert set(statuses) == {200}
    # 57 a minute (95 % of the limit): the last ones wait two minutes.
    assert 120 <= elapsed < 180


async def test_no_limit_known_never_waits() -> None:
    """Until the panel tells its limit, requests are counted but never held back."""
    limiter = SlidingWindowLimiter(None, 60.0, clock=lambda: 0.0)
    for _ in range(1000):
        await limiter.acquire()
    assert limiter.wait_time() == 0.0


async def test_lowered_limit_waits_for_enough_requests_to_leave_the_window() -> None:
    """Ten requests counted, then a limit of four: the next waits until six have left the window."""
    now = [0.0]
    limiter = SlidingWindowLimiter(None, 60.0, clock=lambda: now[0])
    for second in range(10):
        now[0] = float(second)
        limiter.record()
    limiter.limit = 4
    now[0] = 10.0
    # Requests sent at 0..9 s; at most 3 may remain: the one sent at 6 s must leave, at 66 s.
    assert limiter.wait_time() == pytest.approx(56.0)


@pytest.mark.usefixtures("socket_enabled")
async def test_a_routes_own_429_does_not_lower_the_accounts_limit(
    session: aiohttp.ClientSession,
) -> None:
    """Pelican refuses a sixth token a minute with its route's headers; pacing keeps 256."""
    async with PanelSimulator(flavor="pelican", servers=1) as sim:
        assert sim.url is not None
        panel = PterodactylClient(sim.url, sim.client_key, session=session)
        identifier = next(iter(sim.servers))
        await panel.get_account()
        for _ in range(5):
            await panel.get_websocket_credentials(identifier)
        with pytest.raises(PterodactylRateLimitError):
            await panel.get_websocket_credentials(identifier)
        assert panel.rate_limit.limit == sim.rate_limit == 256
