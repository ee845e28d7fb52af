"""Which servers to read when, within the panel's rate limit; no Home Assistant here."""

from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
import math
from typing import Final

from .api import SAFE_WINDOW
from .const import LOGGER, RATE_LIMIT_SHARE, TRANSITION_POLL_INTERVAL

# Never fewer than this many reads a poll, whatever the limit.
_MIN_READS: Final = 1


def fitting_interval(requests_per_minute: int, per_poll: int) -> timedelta:
    """Return the shortest interval at which polls of `per_poll` requests fit a minute's share."""
    # A poll sends its requests at once: fit whole polls into each window of the limit. Home
    # Assistant starts polls at whole seconds plus a fixed fraction, so with a whole-second
    # interval longer than window / polls no window ever holds one poll more. The client's
    # pacing minute (SAFE_WINDOW) is a second longer than the panel's: fitting polls to it
    # means pacing never holds a regular poll back.
    polls = requests_per_minute // min(per_poll, requests_per_minute)
    return timedelta(seconds=math.floor(SAFE_WINDOW / polls) + 1)


class PollPlanner:
    """Plans polls: full polls of every polled server within the budget, fast ones in between."""

    def __init__(self, regular_interval: timedelta) -> None:
        """Poll at `regular_interval` until the panel's limit says otherwise."""
        self.regular_interval = regular_interval
        # The interval between full polls, lengthened when the panel's rate limit requires it.
        self.effective_interval = regular_interval
        # Requests a minute polling may use; None until the panel's limit is known.
        self.budget: int | None = None
        # The rest of the limit: reads between full polls (power actions, fallbacks) fit in it.
        self.headroom: int | None = None
        # Servers whose socket dropped and that are not read since: the next poll reads them.
        self.fallen_back: set[str] = set()
        self._next_full_poll: datetime | None = None
        # When each server's usage was last read (loop time): the budget reads the oldest first.
        self._read_at: dict[str, float] = {}

    def fit(self, limit: int | None, polled: int, *, reserved: int = 0) -> None:
        """Lengthen the interval so that full polls of `polled` servers fit the panel's limit.

        `reserved` requests a minute go to other reads first (backups, schedules).
        """
        if limit is None:
            return
        panel_limit, limit = limit, max(1, limit - reserved)
        self.budget = max(_MIN_READS, math.floor(limit * RATE_LIMIT_SHARE))
        self.headroom = max(_MIN_READS, limit - self.budget)
        interval = self.regular_interval
        if polled:
            interval = max(interval, fitting_interval(self.budget, polled))
        if interval != self.effective_interval and interval > self.regular_interval:
            LOGGER.info(
                "Polling %d servers every %d s to stay within the panel's %d requests a minute",
                polled,
                interval.total_seconds(),
                panel_limit,
            )
        self.effective_interval = interval

    def full_poll_due(self, now: datetime, *, polling_fast: bool) -> bool:
        """Say whether every polled server is due, rather than only the followed ones."""
        return (
            not (polling_fast or self.fallen_back)
            or self._next_full_poll is None
            or now >= self._next_full_poll
        )

    def due(
        self,
        servers: Iterable[str],
        *,
        full: bool,
        unread: Callable[[str], bool],
        followed: Collection[str],
        live: Callable[[str], bool],
    ) -> list[str]:
        """Return the servers to read now, no more than the rate limit allows in one poll."""
        # Between full polls only the servers under a power action (or whose socket dropped)
        # are read: fast polling costs one request per changing server, not one per server.
        due = [
            i
            for i in servers
            if unread(i) or ((full or i in followed or i in self.fallen_back) and not live(i))
        ]
        # A poll between full polls is paid from the headroom, not from the full polls' budget.
        cap = self.budget if full else self.headroom
        if cap is None or len(due) <= cap:
            return due
        # More servers than a poll may read: each poll reads the least recently read ones.
        return sorted(due, key=lambda i: self._read_at.get(i, -math.inf))[:cap]

    def record(self, read: Iterable[str], *, loop_time: float, now: datetime, full: bool) -> None:
        """Note a poll: when each server was read, and when the next full poll is due."""
        for identifier in read:
            self._read_at[identifier] = loop_time
            self.fallen_back.discard(identifier)
        if full:
            self._next_full_poll = now + self.effective_interval

    def poll_interval(self, followed: int) -> timedelta:
        """Return the interval between polls: the full polls', or shorter after power actions."""
        if not followed:
            return self.effective_interval
        interval = TRANSITION_POLL_INTERVAL
        if self.headroom is not None:
            # Fast polls use only what the full polls leave of the limit: many actions at once
            # (a "stop all") are followed less often; on 0.7, 3 of its 15 reads: every 21 s.
            interval = max(interval, fitting_interval(self.headroom, followed))
        # No slower than the full polls, which read the followed servers too.
        return min(interval, self.effective_interval)

    def forget(self, identifier: str) -> None:
        """Drop what is kept of a server the panel no longer lists."""
        self._read_at.pop(identifier, None)
        self.fallen_back.discard(identifier)
