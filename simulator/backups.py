"""Backups: the panel's rows and Wings' archive jobs, settled lazily on the panel's clock.

Sources (pterodactyl/panel v1.11.8; pelican-dev/panel 235c8fb the same unless said):
app/Services/Backups/InitiateBackupService.php (throttle, limit, rotation), DeleteBackupService.php,
app/Repositories/Eloquent/BackupRepository.php (PE app/Eloquent/BackupQueryBuilder.php),
app/Http/Controllers/Api/Remote/Backups/BackupStatusController.php (what Wings' report sets),
app/Console/Commands/Maintenance/PruneOrphanedBackupsCommand.php, config/backups.php; and
pterodactyl/wings v1.11.11 server/backup.go (when Wings publishes `backup completed`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import math
import random

from simulator import daemon
from simulator.errors import PanelError
from simulator.flavors import FlavorSpec
from simulator.fleet import make_uuid
from simulator.models import MIB, SimServer

# Wings' archive speed (assumption: tar.gz of the server's files at 100 MiB/s, plus 2 s).
ARCHIVE_BYTES_PER_SECOND = 100 * MIB
ARCHIVE_OVERHEAD_SECONDS = 2.0
# PruneOrphanedBackupsCommand runs every thirty minutes (app/Console/Kernel.php).
PRUNE_EVERY_SECONDS = 1800


@dataclass(eq=False, slots=True)
class SimBackup:
    """One backup row, and what Wings will report about its archive."""

    uuid: str
    name: str
    # Sim-clock times; the panel shows them as dates of its own.
    created_at: float
    ignored_files: list[str] = field(default_factory=list)
    is_locked: bool = False
    # Pelican only: made by a schedule's backup task.
    is_scheduled: bool = False
    # What Wings reports, and when (None: never; the panel prunes it as failed).
    finishes_at: float | None = None
    succeeds: bool = True
    size: int = 0
    # The panel's columns, set by Wings' report (BackupStatusController) or the prune.
    completed_at: float | None = None
    is_successful: bool = False
    checksum: str | None = None
    bytes: int = 0
    deleted: bool = False

    @property
    def counts(self) -> bool:
        """Return whether the panel counts it against limits (`nonFailed`: running or good)."""
        return self.completed_at is None or self.is_successful

    @property
    def sha1(self) -> str:
        """Return the archive's checksum as Wings computes it (a sha1 of the archive)."""
        return hashlib.sha1(f"{self.uuid}:{self.size}".encode(), usedforsecurity=False).hexdigest()


class BackupBook:
    """Every server's backups, the panel's rules for making and deleting them, Wings' reports."""

    def __init__(
        self, spec: FlavorSpec, unix: Callable[[float], float], rng: random.Random
    ) -> None:
        """Keep backups for a panel of `spec`; `unix` turns a sim-clock time into a Unix time."""
        self.spec = spec
        self.unix = unix
        self._rng = rng
        self._live: dict[str, list[SimBackup]] = {}
        # 1.x soft-deletes rows, and its throttle counts them (`withTrashed()`); Pelican deletes.
        self._trashed: dict[str, list[SimBackup]] = {}
        self._jobs: list[tuple[SimServer, SimBackup]] = []
        # config/backups.php: `throttles` (BACKUP_THROTTLE_LIMIT/PERIOD) and `prune_age` (minutes).
        self.throttle_limit = 2
        self.throttle_period = 600
        self.prune_age_minutes = 360
        # Test controls: per-server archive time (None: Wings never reports), failing servers.
        self.durations: dict[str, float | None] = {}
        self.failing: set[str] = set()
        # Who hears Wings publish `backup completed` (the node's sockets).
        self.listeners: list[Callable[[SimServer, SimBackup], None]] = []

    # Reading.

    def of(self, server: SimServer) -> list[SimBackup]:
        """Return the server's backups in the panel's order (by id: oldest first)."""
        return self._live.setdefault(server.uuid, [])

    def find(self, server: SimServer, uuid: str) -> SimBackup | None:
        """Return the server's backup with this uuid (the scoped `{backup}` binding)."""
        return next((b for b in self.of(server) if b.uuid == uuid), None)

    def non_failed(self, server: SimServer) -> int:
        """Return `getNonFailedBackups($server)->count()`: the list's `backup_count`."""
        return sum(1 for backup in self.of(server) if backup.counts)

    # The panel's services.

    def create(
        self,
        server: SimServer,
        *,
        at: float,
        rid: str,
        name: str | None = None,
        ignored: list[str] | None = None,
        locked: bool = False,
        override: bool = False,
        scheduled: bool = False,
    ) -> SimBackup:
        """InitiateBackupService::handle: throttle, limit (rotation with `override`), Wings."""
        self._throttle(server, at)
        limit = server.feature_limits.backups
        counted = [backup for backup in self.of(server) if backup.counts]
        if not limit or len(counted) >= limit:
            # Only a schedule's backup task overrides (RunTaskJob); the client API never does.
            unlocked = [backup for backup in counted if not backup.is_locked]
            if not override or limit <= 0 or not unlocked:
                raise PanelError(
                    400,
                    "TooManyBackupsException",
                    "Cannot create a new backup, this server has reached its limit of "
                    f"{limit} backups.",
                )
            self.delete(server, min(unlocked, key=lambda backup: backup.created_at), rid)
        failure = daemon.call_failure(self.spec, server, rid)
        if failure is not None:
            # The row is created in the transaction whose Wings call failed: rolled back.
            raise failure
        succeeds = server.uuid not in self.failing
        self.failing.discard(server.uuid)
        size = self._archive_size(server)
        backup = SimBackup(
            uuid=make_uuid(self._rng),
            name=name or self.default_name(at),
            created_at=at,
            ignored_files=[line for line in ignored or [] if line],
            is_locked=locked,
            is_scheduled=scheduled,
            succeeds=succeeds,
            size=size if succeeds else 0,
        )
        duration = self.durations.get(
            server.uuid, ARCHIVE_OVERHEAD_SECONDS + size / ARCHIVE_BYTES_PER_SECOND
        )
        self.add(server, backup, finishes_at=None if duration is None else at + duration)
        return backup

    def record(
        self,
        server: SimServer,
        *,
        at: float,
        name: str | None = None,
        locked: bool = False,
        scheduled: bool = False,
        successful: bool = True,
        took: float = 60.0,
    ) -> SimBackup:
        """Add a backup made at `at` that Wings reported on `took` seconds later (no rules)."""
        backup = SimBackup(
            uuid=make_uuid(self._rng),
            name=name or self.default_name(at),
            created_at=at,
            is_locked=locked,
            is_scheduled=scheduled,
            succeeds=successful,
            size=self._archive_size(server) if successful else 0,
        )
        self.add(server, backup, finishes_at=at + took)
        self.settle(at + took)
        return backup

    def _archive_size(self, server: SimServer) -> int:
        """Return the size of an archive of the server's files (assumption: half compressed)."""
        return int(server.disk_mb * MIB * self._rng.uniform(0.4, 0.6))

    def default_name(self, at: float) -> str:
        """Return the name of a backup made without one: "Backup at Y-m-d H:i:s" (UTC)."""
        stamp = datetime.fromtimestamp(math.floor(self.unix(at)), UTC)
        return f"Backup at {stamp:%Y-%m-%d %H:%M:%S}"

    def _throttle(self, server: SimServer, at: float) -> None:
        """Refuse a backup over `throttles`: 429 with the seconds until the newest ages out."""
        limit, period = self.throttle_limit, self.throttle_period
        if period <= 0:
            return
        # `created_at >= now()->subSeconds($period)`, compared as whole-second datetimes.
        since = math.floor(self.unix(at)) - period
        rows = [*self._trashed.get(server.uuid, []), *self.of(server)]
        previous = [
            backup
            for backup in sorted(rows, key=lambda backup: backup.created_at)
            if backup.counts and math.floor(self.unix(backup.created_at)) >= since
        ]
        if len(previous) < limit:
            return
        # `$previous->last()`: the newest; Carbon's diffInSeconds in whole seconds.
        retry = math.floor(math.floor(self.unix(previous[-1].created_at)) + period - self.unix(at))
        raise PanelError(
            429,
            "TooManyRequestsHttpException",
            f"Only {limit} backups may be generated within a {period} second span of time.",
            headers={"Retry-After": str(max(0, retry))},
        )

    def delete(self, server: SimServer, backup: SimBackup, rid: str) -> None:
        """DeleteBackupService::handle: a locked, completed, good backup stays; Wings deletes."""
        if backup.is_locked and backup.is_successful and backup.completed_at is not None:
            raise PanelError(
                400, "BackupLockedException", "Cannot delete a backup that is marked as locked."
            )
        failure = daemon.call_failure(self.spec, server, rid)
        # Wings' 404 means the archive is gone already: the row goes anyway. Pelican also lets a
        # failed or unfinished backup go when Wings fails (`throw_if($backup->is_successful)`).
        ignored = server.wings_error == 404 or (self.spec.is_pelican and not backup.is_successful)
        if failure is not None and not ignored:
            raise failure
        backup.deleted = True
        self.of(server).remove(backup)
        if backup.finishes_at is None and (server, backup) in self._jobs:
            # A job that never reports has nothing left to do once its row is gone.
            self._jobs.remove((server, backup))
        if not self.spec.is_pelican:
            self._trashed.setdefault(server.uuid, []).append(backup)

    def add(self, server: SimServer, backup: SimBackup, *, finishes_at: float | None) -> None:
        """Store a row; an unfinished one gets a Wings job that reports at `finishes_at`."""
        self.of(server).append(backup)
        if backup.completed_at is None:
            backup.finishes_at = finishes_at
            self._jobs.append((server, backup))

    def forget(self, server: SimServer) -> None:
        """Drop a deleted server's backups and jobs."""
        self._live.pop(server.uuid, None)
        self._trashed.pop(server.uuid, None)
        self._jobs = [(s, b) for s, b in self._jobs if s is not server]

    # Time.

    def settle(self, now: float) -> None:
        """Apply Wings' reports and the prune that fell due up to `now`, in time order."""
        while (event := self._next(now)) is not None:
            at, server, backup = event
            if backup.finishes_at is not None and at >= backup.finishes_at:
                self._jobs.remove((server, backup))
                self._report(server, backup, at)
            else:
                # PruneOrphanedBackupsCommand: failed and completed, the lock left as it was.
                backup.completed_at = at
                if backup.finishes_at is None:
                    self._jobs.remove((server, backup))
        for uuid, rows in list(self._trashed.items()):
            # Rows older than the throttle's window no longer matter.
            self._trashed[uuid] = [b for b in rows if b.created_at + self.throttle_period >= now]

    def _next(self, now: float) -> tuple[float, SimServer, SimBackup] | None:
        """Return the earliest job event due by `now`."""
        found: tuple[float, SimServer, SimBackup] | None = None
        for server, backup in self._jobs:
            at = self._due(backup)
            if at is not None and at <= now and (found is None or at < found[0]):
                found = (at, server, backup)
        return found

    def _due(self, backup: SimBackup) -> float | None:
        """Return when the job's next event happens: the prune if first, else Wings' report."""
        prune: float | None = None
        if backup.completed_at is None and not backup.deleted and self.prune_age_minutes > 0:
            # The first half-hour tick at which `created_at <= now - prune_age` holds.
            oldest = math.floor(self.unix(backup.created_at)) + self.prune_age_minutes * 60
            tick = math.ceil(oldest / PRUNE_EVERY_SECONDS) * PRUNE_EVERY_SECONDS
            prune = backup.created_at + (tick - self.unix(backup.created_at))
        if backup.finishes_at is None or (prune is not None and prune < backup.finishes_at):
            return prune
        return backup.finishes_at

    def _report(self, server: SimServer, backup: SimBackup, at: float) -> None:
        """Wings' report (BackupStatusController) and its `backup completed` event."""
        if backup.deleted:
            # The panel answers 404 for a deleted row: a good archive is removed without an
            # event, a failed one is still announced (server/backup.go).
            if not backup.succeeds:
                self._announce(server, backup)
            return
        backup.completed_at = at
        backup.is_successful = backup.succeeds
        # A failed backup is unlocked so that it can be deleted.
        backup.is_locked = backup.is_locked and backup.succeeds
        backup.checksum = f"sha1:{backup.sha1}" if backup.succeeds else None
        backup.bytes = backup.size if backup.succeeds else 0
        self._announce(server, backup)

    def _announce(self, server: SimServer, backup: SimBackup) -> None:
        """Tell the listeners that Wings published `backup completed`."""
        for listener in self.listeners:
            listener(server, backup)
