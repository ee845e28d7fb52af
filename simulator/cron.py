"""Cron expressions as the panels evaluate a schedule's next run (dragonmantank/cron-expression).

pterodactyl/panel v1.11.8 locks dragonmantank/cron-expression v3.3.2, pelican-dev/panel v3.6.0;
both build `new CronExpression("{minute} {hour} {day_of_month} {month} {day_of_week}")` and
take `getNextRunDate()`: the first matching minute strictly after the current one (seconds
dropped). Rules kept from src/Cron/AbstractField.php and CronExpression.php: lists, ranges,
`*/step` and `a-b/step` (a bare `a/step` is invalid), month names JAN-DEC and day names MON-SUN
(7 is Sunday as well as 0), `?` in the day fields means any day, and a restricted day of month
and day of week match either (v3.0's OR; since v3.3.0 `?` does not count as a restriction).
`L`, `W` and `#` are not modelled. Times are UTC: Pelican passes `now('UTC')`; Pterodactyl uses
the panel's APP_TIMEZONE, UTC unless changed (assumption).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
# A date no expression of valid fields can reach within this many days is "impossible"
# (upstream gives up after 1000 field increments).
_SEARCH_DAYS = 366 * 8


def _literal(text: str, names: tuple[str, ...], first: int) -> str:
    """Return a month or day name as its number (convertLiterals)."""
    upper = text.upper()
    return str(names.index(upper) + first) if upper in names else text


@dataclass(frozen=True, slots=True)
class _Field:
    """The bounds and names of one cron field."""

    low: int
    high: int
    names: tuple[str, ...] = ()
    names_from: int = 1

    def values(self, text: str) -> frozenset[int]:
        """Return the values `text` allows; ValueError for text upstream's validate() refuses."""
        if text in ("*", "?"):
            return frozenset(range(self.low, self.high + 1))
        allowed: set[int] = set()
        for item in text.split(","):
            allowed |= self._item(item.strip())
        return frozenset(allowed)

    def _item(self, item: str) -> set[int]:
        """Return the values of one list item: n, a-b, */step or a-b/step."""
        if "/" in item:
            span, _, step_text = item.partition("/")
            if not step_text.isdigit() or int(step_text) == 0 or span.isdigit():
                raise ValueError(f"invalid step in {item!r}")
            step = int(step_text)
            start, end = (self.low, self.high) if span == "*" else self._range(span)
            full = list(range(self.low, self.high + 1))
            # isInIncrementsOfRanges: a step beyond the field wraps to one value; a step beyond
            # the range keeps its start only.
            if step > self.high:
                return {full[step % len(full)]}
            if step > end - start:
                return {start}
            return set(range(start, end + 1, step))
        if "-" in item:
            start, end = self._range(item)
            return set(range(start, end + 1))
        return {self._number(item)}

    def _range(self, text: str) -> tuple[int, int]:
        """Return the bounds of `a-b`."""
        parts = text.split("-")
        if len(parts) != 2:
            raise ValueError(f"invalid range {text!r}")
        return self._number(parts[0]), self._number(parts[1])

    def _number(self, text: str) -> int:
        """Return one value of the field, names allowed."""
        text = _literal(text.strip(), self.names, self.names_from)
        if not text.isdigit() or not self.low <= int(text) <= self.high:
            raise ValueError(f"{text!r} is out of range {self.low}-{self.high}")
        return int(text)


_MINUTE = _Field(0, 59)
_HOUR = _Field(0, 23)
_DAY_OF_MONTH = _Field(1, 31)
_MONTH = _Field(1, 12, _MONTHS)
_DAY_OF_WEEK = _Field(0, 7, _DAYS)


@dataclass(frozen=True, slots=True)
class CronExpression:
    """A schedule's five cron fields, parsed; ValueError when the panel would refuse them."""

    minute: str
    hour: str
    day_of_month: str
    month: str
    day_of_week: str

    def __post_init__(self) -> None:
        """Check every field now, as `new CronExpression()` does."""
        self._sets()

    def _sets(self) -> tuple[list[int], list[int], frozenset[int], frozenset[int], frozenset[int]]:
        """Return the allowed minutes, hours, days of month, months and weekdays (0 = Sunday)."""
        weekdays = frozenset(day % 7 for day in _DAY_OF_WEEK.values(self.day_of_week))
        return (
            sorted(_MINUTE.values(self.minute)),
            sorted(_HOUR.values(self.hour)),
            _DAY_OF_MONTH.values(self.day_of_month),
            _MONTH.values(self.month),
            weekdays,
        )

    def next_after(self, unix: float) -> float:
        """Return the first matching minute strictly after the minute of `unix` (UTC)."""
        minutes, hours, days, months, weekdays = self._sets()
        start = datetime.fromtimestamp(unix, UTC).replace(second=0, microsecond=0)
        start += timedelta(minutes=1)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if day.month in months and self._day_matches(day, days, weekdays):
                for hour in hours:
                    for minute in minutes:
                        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if moment >= start:
                            return moment.timestamp()
            day += timedelta(days=1)
        raise ValueError("Impossible CRON expression")

    def _day_matches(self, day: date, days: frozenset[int], weekdays: frozenset[int]) -> bool:
        """Return whether `day` is one the day fields allow (OR when both are restricted)."""
        by_date = self.day_of_month not in ("*", "?")
        by_weekday = self.day_of_week not in ("*", "?")
        on_date = day.day in days
        on_weekday = (day.weekday() + 1) % 7 in weekdays
        if by_date and by_weekday:
            return on_date or on_weekday
        return on_date and on_weekday
