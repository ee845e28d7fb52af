"""An event loop whose clock leaps ahead to the next timer whenever nothing else can run.

The soak runs a whole day of Home Assistant, the integration and the panel simulator in one
process. Real sockets on loopback still carry every request and websocket frame, but waiting
costs nothing: when no callback is ready and no socket has data, the loop's clock jumps to its
next timer instead of sleeping. Every timer reads this one clock (asyncio sleeps and timeouts,
aiohttp's timeouts and heartbeats, Home Assistant's schedules, the simulator's power states and
token expiry), so a simulated day keeps every interval in proportion.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta
import selectors
from typing import TYPE_CHECKING, Any, override

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

# While a thread works for the loop (an executor job), time runs for real in slices this long:
# leaping then could time out what only waits for the thread.
_THREAD_SLICE = 0.001


class _LeapingSelector(selectors.BaseSelector):
    """Wraps the loop's selector: a wait with nothing to wait for becomes a leap of the clock."""

    def __init__(self, selector: selectors.BaseSelector, loop: VirtualTimeLoop) -> None:
        """Wrap `selector` for `loop`."""
        self._selector = selector
        self._loop = loop

    @override
    def register(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        """Register a file object."""
        return self._selector.register(fileobj, events, data)

    @override
    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        """Unregister a file object."""
        return self._selector.unregister(fileobj)

    @override
    def modify(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        """Change what a file object is watched for."""
        return self._selector.modify(fileobj, events, data)

    @override
    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """Return ready file objects; when there are none, leap to the end of the timeout."""
        loop = self._loop
        if not loop.leaping or timeout == 0:
            return self._selector.select(timeout)
        ready = self._selector.select(0)
        if ready or timeout is None:
            # No timer at all: only a thread or the outside world can wake the loop.
            return ready or self._selector.select(timeout)
        if loop.executor_jobs:
            return self._selector.select(min(timeout, _THREAD_SLICE))
        loop.leap(timeout)
        return []

    @override
    def close(self) -> None:
        """Close the selector."""
        self._selector.close()

    @override
    def get_key(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        """Return the key of a registered file object."""
        return self._selector.get_key(fileobj)

    @override
    def get_map(self) -> Any:
        """Return the mapping of file objects to keys."""
        return self._selector.get_map()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose time() runs ahead of real time by every leap it made."""

    def __init__(self) -> None:
        """Start in real time; leaping begins with `leaping = True`."""
        super().__init__()
        self.leaping = False
        self.executor_jobs = 0
        # Seconds leapt so far: time() and utcnow() are real time plus this.
        self.offset = 0.0
        self._selector: selectors.BaseSelector = _LeapingSelector(self._selector, self)

    @override
    def time(self) -> float:
        """Return the loop's clock: real monotonic time plus the leaps."""
        return super().time() + self.offset

    def leap(self, seconds: float) -> None:
        """Move the clock ahead."""
        self.offset += seconds

    def utcnow(self) -> datetime:
        """Return the wall-clock time matching the loop's clock (for Home Assistant's utcnow)."""
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    @override
    def run_in_executor[*Ts, T](
        self, executor: Executor | None, func: Callable[[*Ts], T], *args: *Ts
    ) -> asyncio.Future[T]:
        """Run `func` in a thread, counting it so that no leap happens while it works."""
        future = super().run_in_executor(executor, func, *args)
        self.executor_jobs += 1
        future.add_done_callback(self._job_done)
        return future

    def _job_done(self, future: asyncio.Future[Any]) -> None:
        """Count an executor job as finished."""
        self.executor_jobs -= 1
