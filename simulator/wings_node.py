"""The simulated node as its socket handlers see it: its settings and a Protocol of its parts."""

from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from simulator.models import SimServer
from simulator.state import PanelState
from simulator.wings_connection import WingsConnection


@dataclass(slots=True)
class WingsSettings:
    """Timing of the simulated node in real seconds (not the sim clock); tests shrink it."""

    # One `stats` per interval while the container is up (Docker's stats stream: ~1 s).
    stats_interval: float = 1.0
    # How often each socket's token is checked for `token expiring` / `token expired`.
    token_check_interval: float = 30.0
    # How often the lazy power model is sampled for `status` events.
    state_check_interval: float = 0.1
    # Simulated game chatter while running; None for none.
    console_interval: float | None = 15.0
    # `send logs` replays this many lines (websocket_log_count).
    log_lines: int = 150
    # Wings' `remote` (the panel URL the Origin must equal); None: the panel's APP_URL, which
    # the panel writes into the node's configuration (Node::getConfiguration).
    remote: str | None = None
    # Origins accepted besides `remote` (Wings' allowed_origins; "*" accepts any).
    allowed_origins: list[str] = field(default_factory=list)
    # False plays a hung node: pings go unanswered.
    answer_pings: bool = True
    # False: `auth` frames go unanswered (a test control; real Wings always answers).
    answer_auth: bool = True
    # The node token Wings verifies with (config.yml `token`); None: the one the panel signs
    # with. Another one plays a node reconfigured behind the panel's back.
    node_token: str | None = None
    # config.go CrashDetection: enabled, detect_clean_exit_as_crash, timeout (sim seconds).
    crash_detection: bool = True
    detect_clean_exit_as_crash: bool = True
    crash_timeout: int = 60


class WingsNode(Protocol):
    """What WingsProtocol and WingsPump use of the node (simulator.wings.Wings)."""

    panel: PanelState
    settings: WingsSettings
    connections: list[WingsConnection]
    booted_at: int

    @property
    def pelican(self) -> bool:
        """Return whether this node runs pelican-dev/wings."""

    def token_problem(self, connection: WingsConnection) -> str | None:
        """Return why the socket's token is not valid now (Handler.TokenValid), or None."""

    def send_json(self, connection: WingsConnection, event: str, *args: str) -> None:
        """Send an event the way Handler.SendJson does."""

    def broadcast(self, server: SimServer, event: str, *args: str) -> None:
        """Publish an event to every socket of a server that registered listeners."""

    def console_line(self, identifier: str, line: str) -> None:
        """Print a line on a server's console: kept for `send logs`, sent to its sockets."""

    def log(self, server: SimServer) -> deque[str]:
        """Return the server's console history (the container log `send logs` reads)."""

    def drop_connection(self, connection: WingsConnection) -> None:
        """End one socket without a close frame (Go's Connection.Close())."""

    def wake(self) -> None:
        """Look at the servers now."""
