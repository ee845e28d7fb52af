"""What the soak runs: its settings and the calm that ends it."""

from dataclasses import dataclass
from typing import Final

# After the chaos ends: longer than a server-list refresh (5 min) plus a poll, so that every
# server added, deleted or recovered has been seen.
SETTLE_SECONDS: Final = 600.0
# A task counts when it lives this long (simulated seconds): reads and queries end sooner.
LASTING_TASK_SECONDS: Final = 5.0


@dataclass(slots=True, kw_only=True)
class SoakSettings:
    """What the soak runs."""

    hours: float = 24.0
    servers: int = 200
    seed: int = 1
    flavor: str = "pelican"
    # Pelican's default limit: a 30 s poll of every server would need 400 a minute.
    rate_limit: int = 256
    # One server in `polled_every` has no websocket permission and is polled.
    polled_every: int = 4
    running: int = 120
    sample_minutes: float = 5.0
    # Real Wings streams stats every second and the integration writes pushed usage at most every
    # 5 s: 30 s is a sixth of that write load, so that a simulated day fits in under an hour.
    stats_interval: float = 30.0
    # Random events an hour (each kind is weighted below).
    events_per_hour: float = 240.0
    # Calm before the chaos: every socket opens and every cache fills; then the baseline sample.
    warmup_minutes: float = 20.0
