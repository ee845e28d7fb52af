"""Changes that last a while: each undone when its time is up, or all at once at the end."""

import asyncio
from collections.abc import Callable
import itertools


class LastingChanges:
    """Undoes each change on a timer and knows which servers have one."""

    def __init__(self) -> None:
        """Start with no change."""
        self._undo: dict[int, tuple[asyncio.TimerHandle, str | None, Callable[[], object]]] = {}
        self._keys = itertools.count()
        self._disturbed: set[str] = set()

    def disturbs(self, identifier: str) -> bool:
        """Return whether a server has a change that has not been undone yet."""
        return identifier in self._disturbed

    def add(self, seconds: float, identifier: str | None, undo: Callable[[], object]) -> None:
        """Undo a change after `seconds` (or at the end); its server is disturbed until then."""
        if identifier is not None:
            self._disturbed.add(identifier)
        key = next(self._keys)
        handle = asyncio.get_running_loop().call_later(seconds, self._undo_now, key)
        self._undo[key] = (handle, identifier, undo)

    def undo_all(self) -> None:
        """End every change now."""
        for key, (handle, _, _) in list(self._undo.items()):
            handle.cancel()
            self._undo_now(key)

    def _undo_now(self, key: int) -> None:
        """Run one undo."""
        _, identifier, undo = self._undo.pop(key)
        self._disturbed.discard(identifier or "")
        undo()
