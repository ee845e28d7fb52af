"""Laravel-style fixed-window rate limiting (ThrottleRequests)."""

from dataclasses import dataclass
import math

from simulator.clock import Clock


@dataclass(slots=True)
class _Window:
    """Hits in the current window and when the window ends (clock time)."""

    hits: int
    resets_at: float


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one hit: allowed or not, and the headers Laravel sends."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int
    reset_unix: int

    def headers(self) -> dict[str, str]:
        """Return the X-RateLimit-* (and on refusal Retry-After) headers."""
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
            headers["X-RateLimit-Reset"] = str(self.reset_unix)
        return headers


class RateLimiter:
    """Counts hits per bucket; a window opens at the first hit and lasts `window` seconds."""

    def __init__(self, clock: Clock, unix_time: Clock) -> None:
        """Use `clock` for windows and `unix_time` for the X-RateLimit-Reset header."""
        self._clock = clock
        self._unix_time = unix_time
        self._windows: dict[str, _Window] = {}
        self._pruned_at = -math.inf

    def hit(self, bucket: str, limit: int, window: float = 60.0) -> Decision:
        """Count a request against `bucket` unless it is already exhausted."""
        now = self._clock()
        current = self._windows.get(bucket)
        if current is None or now >= current.resets_at:
            self._prune(now, window)
            current = self._windows[bucket] = _Window(0, now + window)
        if current.hits >= limit:
            # Laravel checks before counting, so refused requests do not extend the window.
            return self._decision(current, limit, now, allowed=False)
        current.hits += 1
        return self._decision(current, limit, now, allowed=True)

    def peek(self, bucket: str, limit: int) -> Decision:
        """Return what the headers say of `bucket` now, without counting a request."""
        now = self._clock()
        current = self._windows.get(bucket)
        if current is None or now >= current.resets_at:
            current = _Window(0, now)
        return self._decision(current, limit, now, allowed=True)

    def _decision(self, window: _Window, limit: int, now: float, *, allowed: bool) -> Decision:
        """Return the outcome and headers for `window` at `now`."""
        retry_after = max(0, math.ceil(window.resets_at - now))
        reset_unix = math.floor(self._unix_time()) + retry_after
        remaining = max(0, limit - window.hits) if allowed else 0
        return Decision(allowed, limit, remaining, retry_after, reset_unix)

    def _prune(self, now: float, window: float) -> None:
        """Drop ended windows, once a window: buckets of deleted servers must not pile up."""
        if now - self._pruned_at < window:
            return
        self._pruned_at = now
        self._windows = {key: w for key, w in self._windows.items() if now < w.resets_at}

    def reset(self) -> None:
        """Forget every bucket."""
        self._windows.clear()
