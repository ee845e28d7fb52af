"""What the soak saw: samples, trends and the result with its checks, to and from JSON."""

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from benchmarks.soak.settings import SoakSettings

# The result's counters: JSON holds them as plain objects.
_COUNTERS: Final = (
    "events",
    "refused_actions",
    "refused_by_limiter",
    "logged",
    "requests_by_kind",
)


@dataclass(slots=True)
class Sample:
    """The process and the panel at one moment of simulated time."""

    minute: float
    servers: int
    pushed: int
    tasks: int
    sockets: int
    traced_bytes: int
    rss_bytes: int
    requests: int
    unplanned_429: int


@dataclass(slots=True)
class Trend:
    """A sampled figure: calm before the chaos, calm again after it, and how it moved between."""

    name: str
    baseline: float
    final: float
    peak: float
    # Growth a simulated hour during the chaos, from a least-squares line through its samples.
    per_hour: float
    allowed_growth: float
    # Growth that is Home Assistant's by design (its records of deleted servers), not checked.
    set_aside: float = 0.0

    @property
    def flat(self) -> bool:
        """Return whether the figure came back to its calm level, within the allowance."""
        return self.final - self.set_aside - self.baseline <= self.allowed_growth


@dataclass(slots=True)
class SoakResult:
    """Everything the soak saw."""

    settings: SoakSettings
    samples: list[Sample] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    refused_actions: Counter[str] = field(default_factory=Counter)
    # Requests the panel's limiter refused: route and when (sample time), to tell what burst.
    refused_by_limiter: Counter[str] = field(default_factory=Counter)
    unexpected_errors: list[str] = field(default_factory=list)
    unhandled: list[str] = field(default_factory=list)
    logged: Counter[str] = field(default_factory=Counter)
    secrets_logged: int = 0
    wrong_states: list[str] = field(default_factory=list)
    servers_added: int = 0
    servers_deleted: int = 0
    leftover_devices: int = 0
    leftover_entities: int = 0
    missing_entities: int = 0
    entry_loaded: bool = False
    requests: int = 0
    # Requests by what they read or do (benchmarks.soak.sampler.request_kind).
    requests_by_kind: Counter[str] = field(default_factory=Counter)
    unplanned_429: int = 0
    # Backups that ended on the panel during the chaos, and those without their event.
    backups_ended: int = 0
    unannounced_backups: list[str] = field(default_factory=list)
    baseline: Sample | None = None
    final: Sample | None = None
    # Where traced memory grew most between the calm samples: file:line, KiB, allocations.
    memory_growth: list[str] = field(default_factory=list)
    # Traced memory Home Assistant's registries and restore-state gained calm to calm (bytes).
    ha_records_bytes: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    trends: list[Trend] = field(default_factory=list)

    @property
    def checks(self) -> dict[str, bool]:
        """Return each pass/fail check of the soak."""
        return {
            "no unhandled exception logged": not self.unhandled,
            "no unexpected error from an action": not self.unexpected_errors,
            "no API key or websocket token in the log": self.secrets_logged == 0,
            "no 429 from the panel's limiter": self.unplanned_429 == 0,
            **{f"{trend.name} back to calm": trend.flat for trend in self.trends},
            "every server ends in the panel's state": not self.wrong_states,
            "deleted servers leave no device or entity": (
                self.leftover_devices == 0 and self.leftover_entities == 0
            ),
            "added servers have their entities": self.missing_entities == 0,
            "every backup's end fired its event": not self.unannounced_backups,
            "the entry is loaded and updating": self.entry_loaded,
        }

    @property
    def passed(self) -> bool:
        """Return whether every check passed."""
        return all(self.checks.values())

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SoakResult:
        """Rebuild a result written by to_json(), to render its report again."""
        fields = {name: raw[name] for name in cls.__dataclass_fields__ if name in raw}
        return cls(
            **{
                **fields,
                **{name: Counter(raw[name]) for name in _COUNTERS},
                "settings": SoakSettings(**raw["settings"]),
                "samples": [Sample(**sample) for sample in raw["samples"]],
                "trends": [Trend(**trend) for trend in raw["trends"]],
                "baseline": Sample(**raw["baseline"]) if raw["baseline"] else None,
                "final": Sample(**raw["final"]) if raw["final"] else None,
            }
        )

    def to_json(self) -> dict[str, Any]:
        """Return the result as JSON-able data."""
        raw = asdict(self)
        # asdict() rebuilds a Counter from its items, counting the pairs: copy them as dicts.
        for name in _COUNTERS:
            raw[name] = dict(getattr(self, name))
        raw["checks"] = self.checks
        raw["passed"] = self.passed
        return raw
