"""PanelSimulator's test controls of backups, schedules and starts that never finish."""

from collections.abc import Iterable

from simulator.backups import SimBackup
from simulator.cron import CronExpression
from simulator.models import SimServer
from simulator.schedule_tasks import TaskSpec
from simulator.schedules import SimSchedule
from simulator.state import PanelState


class WorkloadControls(PanelState):
    """Controls a test uses on the panel's backups and schedules (1.x and Pelican)."""

    # Backups.

    def backups_of(self, identifier: str) -> list[SimBackup]:
        """Return a server's backups as the panel has them now, oldest first."""
        self.workload.settle()
        return list(self.workload.backups.of(self.server(identifier)))

    def add_backup(
        self,
        identifier: str,
        name: str | None = None,
        *,
        age: float = 0.0,
        locked: bool = False,
        successful: bool = True,
    ) -> SimBackup:
        """Add a backup Wings finished `age` seconds ago (a minute's work), past every limit."""
        self.workload.settle()
        backups = self.workload.backups
        at = self.clock() - age - 60.0
        server = self.server(identifier)
        return backups.record(server, at=at, name=name, locked=locked, successful=successful)

    def start_backup(
        self, identifier: str, name: str | None = None, *, locked: bool = False
    ) -> SimBackup:
        """Start a backup as another client of the panel would (throttle and limit apply)."""
        workload = self.workload
        workload.settle()
        server = self.server(identifier)
        return workload.backups.create(
            server, at=self.clock(), rid=workload.request_id(), name=name, locked=locked
        )

    def fail_next_backup(self, identifier: str) -> None:
        """Make Wings fail the server's next backup (`is_successful` false, unlocked)."""
        self.workload.backups.failing.add(self.server(identifier).uuid)

    def set_backup_duration(self, identifier: str, seconds: float | None) -> None:
        """Make the server's next backups take `seconds` of the panel's clock.

        None: Wings never reports, and the panel's prune marks the backup failed once it is
        `prune_age` (6 h) old.
        """
        self.workload.backups.durations[self.server(identifier).uuid] = seconds

    def set_backup_limit(self, identifier: str, limit: int) -> SimServer:
        """Set the server's `feature_limits.backups` (0: no backups allowed)."""
        server = self.server(identifier)
        server.feature_limits.backups = limit
        return server

    def set_backup_throttle(self, limit: int, period: int) -> None:
        """Set config/backups.php `throttles` (default 2 per 600 s; period 0 turns it off)."""
        backups = self.workload.backups
        backups.throttle_limit, backups.throttle_period = limit, period

    # Schedules.

    def schedules_of(self, identifier: str) -> list[SimSchedule]:
        """Return a server's schedules as the panel has them now, by id."""
        self.workload.settle()
        return list(self.workload.schedules.of(self.server(identifier)))

    def add_schedule(
        self,
        identifier: str,
        name: str,
        cron: str = "* * * * *",
        tasks: Iterable[TaskSpec | tuple[str, str]] = (TaskSpec("backup"),),
        *,
        active: bool = True,
        only_when_online: bool = False,
    ) -> SimSchedule:
        """Add a schedule ("minute hour day-of-month month day-of-week", UTC) with its tasks.

        A task is a TaskSpec(action, payload, time_offset, continue_on_failure) or an
        (action, payload) pair; ValueError for a cron expression or task the panel refuses.
        """
        self.workload.settle()
        fields = cron.split()
        if len(fields) != 5:
            raise ValueError(f"{cron!r} is not five cron fields")
        now = self.clock()
        return self.workload.schedules.create(
            self.server(identifier),
            name,
            CronExpression(*fields),
            [TaskSpec(*task) for task in tasks],
            now=now,
            created_at=now,
            active=active,
            only_when_online=only_when_online,
        )

    def delete_schedule(self, identifier: str, schedule_id: int) -> None:
        """Delete a schedule (its queued tasks no longer run); KeyError when there is none."""
        server = self.server(identifier)
        schedules = self.workload.schedules
        schedule = schedules.find(server, str(schedule_id))
        if schedule is None:
            raise KeyError(schedule_id)
        schedules.remove(server, schedule)

    # Starting.

    def stall_start(self, identifier: str, stalled: bool = True) -> SimServer:
        """Make the server's starts stay `starting`: its egg's done line never shows.

        False prints the line now: a server stuck starting runs, later starts finish again.
        """
        self.workload.settle()
        server = self.server(identifier)
        server.stall_start(stalled)
        return server
