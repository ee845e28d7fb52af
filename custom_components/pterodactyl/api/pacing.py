"""Sliding-window request limits, on the event loop's clock."""

import asyncio
from collections import deque
from collections.abc import Callable
import logging
from typing import Final

_LOGGER = logging.getLogger(__name__)

# Laravel counts requests in fixed one-minute windows.
RATE_LIMIT_WINDOW: Final = 60.0
# The panel counts a request when it arrives, a little after it is sent: a sliding minute this
# much longer never ends before the panel's window does, so it never holds one request too many.
SAFE_WINDOW: Final = RATE_LIMIT_WINDOW + 1.0


def loop_time() -> float:
    """Return the running event loop's clock, the one every timer of the client runs on."""
    return asyncio.get_running_loop().time()


class SlidingWindowLimiter:
    """Allows at most `limit` requests in any `window` seconds; None allows any number."""

    def __init__(
        self, limit: int | None, window: float, *, clock: Callable[[], float] = loop_time
    ) -> None:
        """Start with no request counted."""
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sent: deque[float] = deque()

    def wait_time(self) -> float:
        """Return the seconds until another request is allowed (0 when it is now)."""
        now = self._clock()
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()
        if self.limit is None or len(self._sent) < self.limit:
            return 0.0
        # A lowered limit can leave more requests in the window than it allows: wait for enough.
        return self._sent[len(self._sent) - self.limit] + self.window - now

    def record(self) -> None:
        """Count a request made now."""
        self._sent.append(self._clock())

    async def wait(self) -> None:
        """Wait until a request is allowed (without counting it)."""
        while (wait := self.wait_time()) > 0:
            _LOGGER.debug("Request limit reached; waiting %.1f s", wait)
            await asyncio.sleep(wait)

    async def acquire(self) -> None:
        """Wait until a request is allowed, then count it."""
        await self.wait()
        self.record()
