"""The panel's backups, schedules and cron jobs (1.x and Pelican; 0.7 has none of them).

Nothing runs in the background: every request and every Wings tick first settles what fell
due since (Wings' backup reports, the panel's prune, its minutely schedule runner and queued
tasks), in time order, at the times they fell due.
"""

from collections.abc import Iterable
import random

from simulator import daemon
from simulator.backups import BackupBook
from simulator.clock import Clock
from simulator.cron import CronExpression
from simulator.flavors import FlavorSpec
from simulator.models import SimServer
from simulator.schedule_tasks import TaskSpec
from simulator.schedules import ScheduleBook

DAY = 86_400.0


class Workload:
    """One panel's backups and schedules, advanced lazily to its clock."""

    def __init__(self, spec: FlavorSpec, clock: Clock, unix_offset: float, seed: int) -> None:
        """Serve a panel of `spec`; Unix time is `unix_offset` plus the sim clock."""
        self.spec = spec
        self.clock = clock
        self._offset = unix_offset
        # A generator of its own: the fleet's ids and keys stay what they were for a seed.
        self.rng = random.Random(f"workload:{seed}")
        self.backups = BackupBook(spec, self.unix, self.rng)
        self.schedules = ScheduleBook(spec, self.unix, self.backups, self.rng)

    def unix(self, at: float) -> float:
        """Return the Unix time of a sim-clock time."""
        return self._offset + at

    def request_id(self) -> str:
        """Return the X-Request-Id of a Wings answer."""
        return daemon.request_id(self.rng.getrandbits(128))

    def settle(self) -> None:
        """Run everything that fell due up to now, each at its own time."""
        if self.spec.is_legacy:
            return
        now = self.clock()
        while (event := self.schedules.next_event(now)) is not None:
            at, run = event
            self.backups.settle(at)
            run()
        self.backups.settle(now)

    def forget(self, server: SimServer) -> None:
        """Drop a deleted server's backups and schedules."""
        self.backups.forget(server)
        self.schedules.forget(server)

    # The default fleet's history.

    def seed(self, servers: Iterable[SimServer]) -> None:
        """Give the default fleet some history (0.7: none, it has no backups or schedules).

        Every third server gets two backups and two schedules, the next one a failed backup and
        an inactive schedule, the third nothing. Only backups run by themselves (a nightly
        schedule at 04:00 UTC): seeded schedules that command or restart a server are inactive,
        so tests of the console and power see only what they do.
        """
        if self.spec.is_legacy:
            return
        now = self.clock()
        backups = self.backups
        for index, server in enumerate(servers):
            if index % 3 == 0:
                backups.record(server, at=now - 2 * DAY, name="Before the 1.21 update", locked=True)
                backups.record(server, at=now - DAY, scheduled=self.spec.is_pelican)
                backup = [TaskSpec("backup", "logs")]
                self._schedule(server, now, "Nightly backup", "0 4 * * *", backup)
                warn = TaskSpec("command", "say Restarting in 5 minutes")
                restart = [warn, TaskSpec("power", "restart", 300)]
                self._schedule(server, now, "Weekly restart", "0 6 * * 1", restart, active=False)
            elif index % 3 == 1:
                backups.record(server, at=now - DAY / 2, successful=False)
                hello = [TaskSpec("command", "say Hello!")]
                self._schedule(server, now, "Announcement", "*/30 * * * *", hello, active=False)

    def _schedule(
        self,
        server: SimServer,
        now: float,
        name: str,
        cron: str,
        tasks: list[TaskSpec],
        *,
        active: bool = True,
    ) -> None:
        """Add a schedule made a week ago."""
        expression = CronExpression(*cron.split())
        self.schedules.create(
            server, name, expression, tasks, now=now, created_at=now - 7 * DAY, active=active
        )
