"""Reads of each server once a period, spread over it: a few each minute, never all at once."""

from collections.abc import Iterable
from datetime import timedelta
import math
from typing import Final

from .api import RateLimitStatus

# A small panel is read whole at once; a large one a share each minute.
MIN_READS_PER_TICK: Final = 10
TICK: Final = timedelta(minutes=1)
# Left unspent for actions and polls when background reads take from what remains of a minute.
ACTION_RESERVE: Final = 0.1
# Backups and schedules share what remains.
READERS: Final = 2


def allowance(rate_limit: RateLimitStatus) -> int | None:
    """Return the reads one kind of background read may make now; None when the limit is unknown.

    Right after set-up the first poll has spent most of the minute: its reads come first.
    """
    if rate_limit.limit is None or rate_limit.remaining is None:
        return None
    spare = rate_limit.remaining - math.ceil(rate_limit.limit * ACTION_RESERVE)
    return max(0, spare) // READERS


class StaggeredReads:
    """Which servers to read this minute so each is read once every `period`."""

    def __init__(self, period: timedelta) -> None:
        """Read every server once per `period`."""
        self.period = period
        self._read_at: dict[str, float] = {}

    def per_minute(self, servers: int) -> int:
        """Return the reads a minute that reading `servers` servers once a period takes."""
        return math.ceil(servers * TICK / self.period)

    def due(
        self, identifiers: Iterable[str], now: float, allowance: int | None = None
    ) -> list[str]:
        """Return the servers to read now: never read first, then those read longest ago.

        At most `allowance` of them when the panel's rate limit leaves only that much now.
        """
        listed = list(identifiers)
        cap = max(MIN_READS_PER_TICK, self.per_minute(len(listed)))
        if allowance is not None:
            cap = min(cap, allowance)
        period = self.period.total_seconds()
        waiting = [
            identifier
            for identifier in listed
            if now - self._read_at.get(identifier, -math.inf) >= period
        ]
        waiting.sort(key=lambda identifier: self._read_at.get(identifier, -math.inf))
        return waiting[:cap]

    def record(self, identifier: str, now: float) -> None:
        """Remember that a server was read (or tried) at `now` (a POSIX timestamp)."""
        self._read_at[identifier] = now

    def forget(self, identifier: str) -> None:
        """Forget a server the panel no longer lists."""
        self._read_at.pop(identifier, None)
