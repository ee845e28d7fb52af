"""Schedules: their tasks, running one now, and the panel's own cron, settled lazily.

Sources (pterodactyl/panel v1.11.8; pelican-dev/panel 235c8fb the same unless said):
app/Services/Schedules/ProcessScheduleService.php, app/Jobs/Schedule/RunTaskJob.php,
app/Console/Commands/Schedule/ProcessRunnableCommand.php (every minute: active, not processing,
due, server status null), app/Models/Schedule.php. The tasks themselves: schedule_tasks.py.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
import itertools
import math
import random

from simulator import daemon
from simulator.backups import BackupBook
from simulator.cron import CronExpression
from simulator.errors import PanelError
from simulator.flavors import FlavorSpec
from simulator.models import SimServer
from simulator.schedule_tasks import (
    SimTask,
    TaskSpec,
    connection_failure,
    make_task,
    online,
    run_task,
)

NO_TASKS = "Cannot process schedule for task execution: no tasks are registered."


@dataclass(eq=False, slots=True)
class SimSchedule:
    """One schedule (times on the sim clock)."""

    id: int
    name: str
    cron: CronExpression
    created_at: float
    updated_at: float
    is_active: bool = True
    only_when_online: bool = False
    tasks: list[SimTask] = field(default_factory=list)
    is_processing: bool = False
    last_run_at: float | None = None
    next_run_at: float | None = None
    # When it last stopped processing: the panel's cron can pick it up from then on.
    free_since: float = -math.inf


@dataclass(frozen=True, slots=True)
class _Job:
    """A RunTaskJob on the queue."""

    due: float
    server: SimServer
    schedule: SimSchedule
    task: SimTask
    manual: bool


class ScheduleBook:
    """Every server's schedules, the queue of their tasks and the panel's cron."""

    def __init__(
        self,
        spec: FlavorSpec,
        unix: Callable[[float], float],
        backups: BackupBook,
        rng: random.Random,
    ) -> None:
        """Keep schedules for a panel of `spec`; `unix` turns a sim-clock time into Unix time."""
        self.spec = spec
        self.unix = unix
        self.backups = backups
        self._rng = rng
        self._schedules: dict[str, tuple[SimServer, list[SimSchedule]]] = {}
        self._queue: list[_Job] = []
        # Nothing falls due before this sim-clock time: cron pick-ups happen at whole minutes.
        self._quiet_until = -math.inf
        # The `schedules` and `tasks` tables' auto-increment ids.
        self._schedule_ids = itertools.count(1)
        self._task_ids = itertools.count(1)

    # Reading and writing.

    def of(self, server: SimServer) -> list[SimSchedule]:
        """Return the server's schedules in the panel's order (by id)."""
        return self._schedules.setdefault(server.uuid, (server, []))[1]

    def find(self, server: SimServer, key: str) -> SimSchedule | None:
        """Return the server's schedule with this id (the scoped `{schedule}` binding)."""
        return next((s for s in self.of(server) if key.isdigit() and s.id == int(key)), None)

    def create(
        self,
        server: SimServer,
        name: str,
        cron: CronExpression,
        tasks: Iterable[TaskSpec],
        *,
        now: float,
        created_at: float,
        active: bool = True,
        only_when_online: bool = False,
    ) -> SimSchedule:
        """Store a schedule and its tasks, the next run computed as the controller's store() does.

        ValueError for a task the panel refuses (schedule_tasks.make_task).
        """
        schedule = SimSchedule(next(self._schedule_ids), name, cron, created_at, created_at, active)
        schedule.only_when_online = only_when_online
        schedule.tasks = [
            make_task(next(self._task_ids), sequence, spec, created_at)
            for sequence, spec in enumerate(tasks, start=1)
        ]
        schedule.next_run_at = self._next_run(schedule, self.unix(now))
        self.of(server).append(schedule)
        return schedule

    def remove(self, server: SimServer, schedule: SimSchedule) -> None:
        """Delete a schedule; its queued tasks no longer run."""
        self.of(server).remove(schedule)
        self._queue = [job for job in self._queue if job.schedule is not schedule]

    def forget(self, server: SimServer) -> None:
        """Drop a deleted server's schedules and queued tasks."""
        self._schedules.pop(server.uuid, None)
        self._queue = [job for job in self._queue if job.server is not server]

    def _next_run(self, schedule: SimSchedule, after_unix: float) -> float:
        """Return the sim-clock time of the schedule's next run after a Unix time."""
        return schedule.cron.next_after(after_unix) - self.unix(0.0)

    # Running.

    def execute(self, server: SimServer, schedule: SimSchedule, now: float) -> None:
        """POST …/execute: ProcessScheduleService::handle($schedule, true), whatever is_active."""
        self._process(server, schedule, now, self.unix(now), manual=True)

    def _process(
        self, server: SimServer, schedule: SimSchedule, at: float, at_unix: float, *, manual: bool
    ) -> None:
        """ProcessScheduleService::handle: mark it processing, then run or queue its first task."""
        if not schedule.tasks:
            raise PanelError(400, "DisplayException", NO_TASKS)
        task = min(schedule.tasks, key=lambda task: task.sequence_id)
        schedule.is_processing = True
        schedule.next_run_at = self._next_run(schedule, at_unix)
        schedule.updated_at = at
        task.queued(True, at)
        if schedule.only_when_online and not online(self.spec, server, at):
            self._complete(schedule, task, at)
            return
        if not manual:
            self._enqueue(_Job(at + task.time_offset, server, schedule, task, manual))
            return
        try:
            # dispatchNow: the first task runs in the request; its error is the answer.
            self._run(server, schedule, task, at, manual=True)
        except PanelError:
            self._complete(schedule, task, at)
            raise

    def _run(
        self, server: SimServer, schedule: SimSchedule, task: SimTask, at: float, *, manual: bool
    ) -> None:
        """RunTaskJob::handle: run one task, then queue the next after its time offset."""
        if (not schedule.is_active and not manual) or server.status is not None:
            # An inactive schedule's queued task, or a server suspended or reinstalling since.
            self._complete(schedule, task, at)
            return
        try:
            rid = daemon.request_id(self._rng.getrandbits(128))
            run_task(self.spec, self.backups, server, task, at=at, rid=rid)
        except PanelError as err:
            # Only a connection failure of a task that may fail lets the schedule go on.
            if not (task.continue_on_failure and err.code == connection_failure(self.spec)):
                raise
        task.queued(False, at)
        later = [other for other in schedule.tasks if other.sequence_id > task.sequence_id]
        if not later:
            self._complete(schedule, task, at)
            return
        following = min(later, key=lambda other: other.sequence_id)
        following.queued(True, at)
        self._enqueue(_Job(at + following.time_offset, server, schedule, following, manual))

    def _complete(self, schedule: SimSchedule, task: SimTask, at: float) -> None:
        """Run RunTaskJob's markTaskNotQueued and markScheduleComplete."""
        task.queued(False, at)
        schedule.is_processing = False
        schedule.last_run_at = at
        schedule.updated_at = at
        schedule.free_since = at

    # Time.

    def _enqueue(self, job: _Job) -> None:
        """Dispatch a RunTaskJob onto the queue."""
        self._queue.append(job)
        self._quiet_until = min(self._quiet_until, job.due)

    def next_event(self, now: float) -> tuple[float, Callable[[], None]] | None:
        """Return the earliest queued task or cron pick-up due by `now`, and how to run it."""
        if now < self._quiet_until:
            return None
        found: tuple[float, Callable[[], None]] | None = None
        for job in self._queue:
            if job.due <= now and (found is None or job.due < found[0]):
                found = (job.due, partial(self._run_queued, job))
        for server, schedules in self._schedules.values():
            if server.status is not None:
                continue
            for schedule in schedules:
                tick = self._tick(schedule)
                if tick is not None and tick[0] <= now and (found is None or tick[0] < found[0]):
                    # ProcessRunnableCommand: a schedule with tasks only queues its first one.
                    cron = partial(self._process, server, schedule, *tick, manual=False)
                    found = (tick[0], cron)
        if found is None:
            # Like the panel's runner, look at the schedules again at the next whole minute.
            minute = (math.floor(round(self.unix(now), 3) / 60) + 1) * 60 - self.unix(0.0)
            self._quiet_until = min([minute, *(job.due for job in self._queue)])
        return found

    def _tick(self, schedule: SimSchedule) -> tuple[float, float] | None:
        """Return when the panel's minutely cron picks the schedule up (sim clock, Unix)."""
        if not schedule.is_active or schedule.is_processing or not schedule.tasks:
            return None
        if schedule.next_run_at is None:
            return None
        due = self.unix(max(schedule.next_run_at, schedule.free_since))
        # Rounded first: a whole minute must not become the next one through float error.
        tick = math.ceil(round(due, 3) / 60) * 60
        return tick - self.unix(0.0), float(tick)

    def _run_queued(self, job: _Job) -> None:
        """Run a queued RunTaskJob; a failure runs failed(), which completes the schedule."""
        self._queue.remove(job)
        try:
            self._run(job.server, job.schedule, job.task, job.due, manual=job.manual)
        except PanelError:
            self._complete(job.schedule, job.task, job.due)
