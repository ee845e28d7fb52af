"""Crashes, told by Wings' crash handler or by an unexplained fall to offline; no Home Assistant."""

from dataclasses import dataclass
from datetime import date, datetime
import re
from typing import Final

from .api import PowerSignal
from .const import SIGNAL_EXPLAINS_OFFLINE
from .models import ServerStatus

# Wings' own console lines, "[Pterodactyl Daemon]: text" (Pelican's app name is "pelican")
# (server/console.go PublishConsoleOutputFromDaemon); a game's output has its own prefix.
_DAEMON_LINE: Final = re.compile(r"\[[^\]]+ Daemon\]: (?P<text>.*)")
# server/crash.go handleServerCrash prints these three, in this order, after the `status`.
_CRASH_HEADER: Final = "---------- Detected server process in a crashed state! ----------"
_EXIT_CODE: Final = re.compile(r"Exit code: (?P<code>-?\d+)")
_OUT_OF_MEMORY: Final = re.compile(r"Out of memory: (?P<oom>true|false)")
# The process died, but crash detection is off for the server: Wings does not restart it.
_DETECTION_DISABLED: Final = (
    "Aborting automatic restart, crash detection is disabled for this instance."
)
_UP: Final = frozenset({ServerStatus.STARTING, ServerStatus.RUNNING})
# Signals of ours after which the server going offline is no crash.
_GOING_DOWN: Final = frozenset({PowerSignal.STOP, PowerSignal.KILL, PowerSignal.RESTART})

SOURCE_WINGS: Final = "wings"
SOURCE_STATE: Final = "state"


@dataclass(frozen=True, slots=True, kw_only=True)
class Crash:
    """One crash: Wings' word on it with the exit code, or only a state that fell."""

    source: str
    exit_code: int | None = None
    out_of_memory: bool | None = None


class CrashWatch:
    """Tells each server's crashes, once each, and counts them per day."""

    def __init__(self) -> None:
        """Start with none."""
        # Servers whose crash header Wings printed: the exit code once its line came.
        self._exit_codes: dict[str, int | None] = {}
        # When a stop, kill or restart of ours was sent, until the server is seen offline.
        self._going_down: dict[str, datetime] = {}
        # Servers whose action of ours timed out: the status shown next replaces its interim.
        self._interim_dropped: set[str] = set()
        self._counts: dict[str, tuple[date, int]] = {}

    def signal_sent(self, identifier: str, signal: PowerSignal, now: datetime) -> None:
        """Note a power signal of ours: a stop, kill or restart explains the next offline."""
        if signal in _GOING_DOWN:
            self._going_down[identifier] = now

    def action_timed_out(self, identifier: str) -> None:
        """Note that the panel never showed an action of ours: its interim state goes next.

        A start shown as starting until then, and offline after, did not fall.
        """
        self._interim_dropped.add(identifier)

    def seen(
        self,
        identifier: str,
        previous: ServerStatus | None,
        status: ServerStatus,
        now: datetime,
        *,
        live: bool,
    ) -> Crash | None:
        """Return the crash a server's new status shows: up to offline, no action of ours.

        A pushed server's crash is Wings' to tell: its lines follow the status, with the exit
        code, and a stop that is no crash (Wings sets `stopping` first) says nothing.
        """
        dropped = identifier in self._interim_dropped
        self._interim_dropped.discard(identifier)
        if status is not ServerStatus.OFFLINE:
            return None
        signalled = self._going_down.pop(identifier, None)
        if live or dropped or previous not in _UP:
            return None
        if signalled is not None and now - signalled <= SIGNAL_EXPLAINS_OFFLINE:
            return None
        return Crash(source=SOURCE_STATE)

    def console_line(self, identifier: str, line: str) -> Crash | None:
        """Return the crash Wings' crash handler tells in a console line without colour codes."""
        if (daemon := _DAEMON_LINE.fullmatch(line.strip())) is None:
            return None
        text = daemon["text"]
        told = identifier in self._exit_codes
        if text == _CRASH_HEADER:
            self._exit_codes[identifier] = None
        elif told and (code := _EXIT_CODE.fullmatch(text)):
            self._exit_codes[identifier] = int(code["code"])
        elif told and (oom := _OUT_OF_MEMORY.fullmatch(text)):
            return Crash(
                source=SOURCE_WINGS,
                exit_code=self._exit_codes.pop(identifier),
                out_of_memory=oom["oom"] == "true",
            )
        elif text == _DETECTION_DISABLED:
            return Crash(source=SOURCE_WINGS)
        return None

    def count(self, identifier: str, today: date) -> int:
        """Return the server's crashes on `today`."""
        day, count = self._counts.get(identifier, (today, 0))
        return count if day == today else 0

    def add(self, identifier: str, today: date) -> None:
        """Count a crash on `today`; a new day starts from none."""
        self._counts[identifier] = (today, self.count(identifier, today) + 1)

    def restore(self, identifier: str, today: date, count: int) -> None:
        """Keep a count of `today` from before a restart, unless more are counted already."""
        self._counts[identifier] = (today, max(count, self.count(identifier, today)))

    def forget(self, identifier: str) -> None:
        """Drop what is kept of a server the panel no longer lists."""
        self._exit_codes.pop(identifier, None)
        self._going_down.pop(identifier, None)
        self._interim_dropped.discard(identifier)
        self._counts.pop(identifier, None)
