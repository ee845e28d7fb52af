"""The soak's simulated panel: its size, limits, Wings and games, some servers only polled."""

from collections.abc import Callable
from typing import Final

from benchmarks.soak.settings import SoakSettings
from simulator import PanelSimulator, WingsSettings

# Permissions of the servers the key's account reaches as a subuser without the websocket: these
# are polled, the others pushed.
POLLED_PERMISSIONS: Final = ["control.console", "control.start", "control.stop", "control.restart"]


def build_panel(settings: SoakSettings, clock: Callable[[], float]) -> PanelSimulator:
    """Create the panel: a share of the servers without websocket permission are polled."""
    sim = PanelSimulator(
        flavor=settings.flavor,
        servers=settings.servers,
        seed=settings.seed,
        clock=clock,
        rate_limit=settings.rate_limit,
        running=settings.running,
        latency_ms=20.0,
        resources_cache_seconds=20.0,
        wings=WingsSettings(
            stats_interval=settings.stats_interval,
            state_check_interval=2.0,
            console_interval=60.0,
            # The console log a socket replays; full within the warm-up, so it grows no further.
            log_lines=20,
        ),
        # Games answer the integration's player queries on loopback, players coming and going:
        # without them every query would wait out its timeout at an address nothing answers.
        games=True,
    )
    for index, identifier in enumerate(list(sim.servers)):
        if index % settings.polled_every == settings.polled_every - 1:
            sim.make_subuser(identifier, POLLED_PERMISSIONS)
    return sim
