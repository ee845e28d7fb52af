"""Clocks: the simulator reads time only through an injectable `Callable[[], float]`."""

from collections.abc import Callable

type Clock = Callable[[], float]


class ManualClock:
    """A clock that only moves when told to, for deterministic tests."""

    def __init__(self, start: float = 1000.0) -> None:
        """Start at `start` seconds."""
        self.now = start

    def __call__(self) -> float:
        """Return the current time in seconds."""
        return self.now

    def advance(self, seconds: float) -> float:
        """Move time forward and return the new time."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.now += seconds
        return self.now
