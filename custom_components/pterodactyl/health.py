"""Server health: crashes fired and counted, starts and power actions that never end in Repairs."""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
import re
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api import PowerSignal, ServerState
from .console import server_event_data, strip_ansi
from .const import (
    CONF_STARTING_TIMEOUT,
    CONSOLE_TAIL_LINE_LENGTH,
    CONSOLE_TAIL_LINES,
    DEFAULT_STARTING_TIMEOUT,
    EVENT_SERVER_CRASHED,
    LOGGER,
    POWER_ACTION_TIMEOUT,
)
from .crashes import Crash, CrashWatch
from .issues import (
    async_delete_issue,
    async_raise_power_action_issue,
    async_raise_stuck_starting_issue,
    power_action_issue_id,
    stuck_starting_issue_id,
)
from .models import POWER_UNKNOWN, STATUS_OF_STATE, ServerData, ServerStatus
from .power import PowerAction
from .pushed import ServerListeners
from .servers import ServerList

_SETTLED: Final = frozenset({ServerStatus.RUNNING, ServerStatus.OFFLINE})
# Control characters and Markdown's code fence would break the issue's code block.
_UNPRINTABLE: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|```")

ISSUE_STUCK_STARTING: Final = "server_stuck_starting"
ISSUE_POWER_ACTION: Final = "power_action_timeout"


@dataclass(slots=True)
class _Start:
    """A server seen starting: since when, and whether Repairs names it."""

    since: datetime
    raised: bool = False


@dataclass(slots=True)
class _StuckAction:
    """A power action that never took effect: the status it left, and whether that changed."""

    status: ServerStatus
    moved: bool = False


class ServerHealth:
    """Watches an entry's servers: crashes fired and counted, stuck starts and actions raised."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, server_list: ServerList) -> None:
        """Watch the entry's listed servers, with its starting timeout option."""
        self._hass = hass
        self._entry_id = entry.entry_id
        self._server_list = server_list
        self._starting_minutes: int = entry.options.get(
            CONF_STARTING_TIMEOUT, DEFAULT_STARTING_TIMEOUT
        )
        self._crashes = CrashWatch()
        self._listeners = ServerListeners()
        # The last console lines of each server, raw: cleaned only when an issue shows them.
        self._tails: dict[str, deque[str]] = {}
        self._starts: dict[str, _Start] = {}
        self._stuck: dict[str, _StuckAction] = {}

    # What the coordinator tells.

    def observe(self, previous: ServerData | None, data: ServerData, *, live: bool) -> None:
        """Look at a server's new data: a crash, a start that lasts, an action that settles."""
        identifier = data.server.identifier
        now = dt_util.utcnow()
        shown = previous.status if previous is not None else None
        crash = self._crashes.seen(identifier, shown, data.status, now, live=live)
        if crash is not None:
            self._crashed(identifier, crash)
        self._watch_start(identifier, data.status, now)
        if (stuck := self._stuck.get(identifier)) is not None:
            stuck.moved = stuck.moved or data.status is not stuck.status
            if stuck.moved and data.status in _SETTLED:
                self._end_stuck_action(identifier)

    def console_line(self, identifier: str, line: str) -> None:
        """Keep a console line for Repairs, and read Wings' crash handler in it."""
        tail = self._tails.setdefault(identifier, deque(maxlen=CONSOLE_TAIL_LINES))
        tail.append(line[: CONSOLE_TAIL_LINE_LENGTH * 2])  # room for colour codes
        crash = self._crashes.console_line(identifier, strip_ansi(line))
        if crash is not None:
            self._crashed(identifier, crash)

    def signal_sent(self, identifier: str, signal: PowerSignal, now: datetime) -> None:
        """Note a power signal of ours: it explains a stop, and replaces an action that hung."""
        self._crashes.signal_sent(identifier, signal, now)
        self._end_stuck_action(identifier)

    def power_timed_out(self, identifier: str, action: PowerAction, state: ServerState) -> None:
        """Name in Repairs a power action the panel never showed taking effect."""
        self._crashes.action_timed_out(identifier)
        server = self._server_list.servers.get(identifier)
        # A start that took effect but never finishes is the stuck start's to tell.
        if server is None or state is ServerState.STARTING:
            return
        minutes = int(POWER_ACTION_TIMEOUT / timedelta(minutes=1))
        LOGGER.info(
            "The panel did not show %s of server %s taking effect within %d minutes; it shows %s",
            action.signal, server.name, minutes, state,
        )  # fmt: skip
        self._stuck[identifier] = _StuckAction(status=STATUS_OF_STATE[state])
        async_raise_power_action_issue(
            self._hass,
            power_action_issue_id(self._entry_id, identifier),
            server.name,
            action.signal,
            minutes,
        )

    def forget(self, identifier: str) -> None:
        """Drop what is known of a server the panel no longer lists, and its issues."""
        self._crashes.forget(identifier)
        self._tails.pop(identifier, None)
        self._end_start(identifier)
        self._end_stuck_action(identifier)

    def async_delete_issues(self) -> None:
        """Delete the servers' issues: an entry that is unloaded watches nothing."""
        for identifier in {*self._starts, *self._stuck}:
            self._end_start(identifier)
            self._end_stuck_action(identifier)

    # What the sensors and diagnostics read.

    def crashes_today(self, identifier: str) -> int:
        """Return how often the server crashed since local midnight."""
        return self._crashes.count(identifier, dt_util.now().date())

    def restore_crashes_today(self, identifier: str, count: int) -> None:
        """Keep today's count of a server's crashes from before a restart."""
        self._crashes.restore(identifier, dt_util.now().date(), count)

    def add_listener(self, identifier: str, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` when the server crashes; return the remover."""
        return self._listeners.add(identifier, listener)

    def diagnostics(self, identifier: str) -> dict[str, Any]:
        """Return the server's crashes today, since when it starts, and its open issues."""
        start = self._starts.get(identifier)
        issues = [ISSUE_STUCK_STARTING] if start is not None and start.raised else []
        if identifier in self._stuck:
            issues.append(ISSUE_POWER_ACTION)
        return {
            "crashes_today": self.crashes_today(identifier),
            "starting_since": start.since.isoformat() if start is not None else None,
            "open_issues": issues,
        }

    # The watches.

    def _crashed(self, identifier: str, crash: Crash) -> None:
        """Count a crash of a listed server and fire its event."""
        if identifier not in self._server_list.servers:
            return
        self._crashes.add(identifier, dt_util.now().date())
        event = server_event_data(self._hass, self._entry_id, self._server_list, identifier)
        LOGGER.debug("Server %s crashed: %s", event["name"], crash)
        event.update(
            exit_code=crash.exit_code, out_of_memory=crash.out_of_memory, source=crash.source
        )
        self._hass.bus.async_fire(EVENT_SERVER_CRASHED, event)
        self._listeners.notify(identifier)

    def _watch_start(self, identifier: str, status: ServerStatus, now: datetime) -> None:
        """Raise the issue of a start that lasts too long; delete it once the server moves on."""
        if status is ServerStatus.STARTING:
            start = self._starts.setdefault(identifier, _Start(since=now))
            server = self._server_list.servers.get(identifier)
            if (
                start.raised
                or server is None
                or now - start.since < timedelta(minutes=self._starting_minutes)
            ):
                return
            start.raised = True
            async_raise_stuck_starting_issue(
                self._hass,
                stuck_starting_issue_id(self._entry_id, identifier),
                server.name,
                self._starting_minutes,
                self._console_tail(identifier),
            )
        elif status not in POWER_UNKNOWN:
            # It runs, stops, or cannot start (suspended, installing); an unreachable node
            # tells nothing either way.
            self._end_start(identifier)

    def _console_tail(self, identifier: str) -> list[str]:
        """Return the server's last console lines, printable, without their colour codes."""
        lines = (
            _UNPRINTABLE.sub("", strip_ansi(line))[:CONSOLE_TAIL_LINE_LENGTH].rstrip()
            for line in self._tails.get(identifier, ())
        )
        return [line for line in lines if line]

    def _end_start(self, identifier: str) -> None:
        """Stop watching a start; delete its issue if raised."""
        start = self._starts.pop(identifier, None)
        if start is not None and start.raised:
            async_delete_issue(self._hass, stuck_starting_issue_id(self._entry_id, identifier))

    def _end_stuck_action(self, identifier: str) -> None:
        """Delete the issue of an action that never took effect, if raised."""
        if self._stuck.pop(identifier, None) is not None:
            async_delete_issue(self._hass, power_action_issue_id(self._entry_id, identifier))
