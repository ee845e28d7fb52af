"""Each sampled figure, calm before the chaos against calm after it, with its slope between."""

from collections.abc import Callable
import statistics

from benchmarks.soak.results import Sample, SoakResult, Trend


def measure_trends(result: SoakResult) -> list[Trend]:
    """Compare the calm samples before and after the chaos; fit a line through the chaos."""
    baseline, final = result.baseline, result.final
    if baseline is None or final is None:
        raise RuntimeError("the soak ended before its baseline and final samples")
    during = [s for s in result.samples if baseline.minute <= s.minute <= final.minute]
    minutes = [s.minute for s in during]

    def trend(
        name: str,
        value: Callable[[Sample], float],
        share: float,
        least: float,
        set_aside: float = 0.0,
    ) -> Trend:
        values = [value(s) for s in during]
        slope, _ = statistics.linear_regression(minutes, values)
        return Trend(
            name=name,
            baseline=value(baseline),
            final=value(final),
            peak=max(values),
            per_hour=slope * 60,
            allowed_growth=max(least, value(baseline) * share),
            set_aside=set_aside,
        )

    # Tasks and sockets follow the open websockets, which are all back once calm returns; a leak
    # of one per fault or reconnection would leave hundreds behind.
    return [
        trend("asyncio tasks", lambda s: s.tasks, 0.02, 5),
        trend("open sockets", lambda s: s.sockets, 0.02, 5),
        trend(
            "traced memory (MiB)",
            lambda s: s.traced_bytes / 2**20,
            0.05,
            2.0,
            result.ha_records_bytes / 2**20,
        ),
    ]
