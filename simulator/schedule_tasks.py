"""A schedule's tasks: what they are, and what each does against Wings (RunTaskJob).

Sources (pterodactyl/panel v1.11.8; pelican-dev/panel 235c8fb the same unless said):
app/Models/Task.php, app/Jobs/Schedule/RunTaskJob.php (PE: the task schemas in
app/Extensions/Tasks/Schemas), app/Services/Schedules/ProcessScheduleService.php
(`only_when_online`), app/Repositories/Wings/DaemonCommandRepository.php, PE app/Models/Server.php.
"""

from dataclasses import dataclass
from typing import NamedTuple

from simulator import daemon
from simulator.backups import BackupBook
from simulator.flavors import FlavorSpec
from simulator.models import CONTAINER_UP, PowerSignal, PowerState, SimServer

TASK_ACTIONS = ("power", "command", "backup")


class TaskSpec(NamedTuple):
    """A task to add to a schedule."""

    action: str
    payload: str = ""
    time_offset: int = 0
    continue_on_failure: bool = False


@dataclass(eq=False, slots=True)
class SimTask:
    """One task of a schedule (times on the sim clock)."""

    id: int
    sequence_id: int
    action: str
    payload: str
    created_at: float
    updated_at: float
    time_offset: int = 0
    continue_on_failure: bool = False
    is_queued: bool = False

    def queued(self, queued: bool, at: float) -> None:
        """Set `is_queued`; Eloquent's update() touches `updated_at` only on a change."""
        if self.is_queued is not queued:
            self.is_queued, self.updated_at = queued, at


def make_task(task_id: int, sequence: int, spec: TaskSpec, created_at: float) -> SimTask:
    """Return a task; ValueError for what Task::$validationRules refuse.

    An action other than power, command or backup (PE's delete_files is not modelled), an
    unknown power signal, an offset beyond 0-900 s.
    """
    if spec.action not in TASK_ACTIONS or not 0 <= spec.time_offset <= 900:
        raise ValueError(f"invalid task {spec}")
    if spec.action == "power":
        PowerSignal(spec.payload)
    return SimTask(
        task_id,
        sequence,
        spec.action,
        spec.payload,
        created_at,
        created_at,
        spec.time_offset,
        spec.continue_on_failure,
    )


def connection_failure(spec: FlavorSpec) -> str:
    """Return the error a task with `continue_on_failure` may go on after (RunTaskJob)."""
    return "ConnectionException" if spec.is_pelican else "DaemonConnectionException"


def online(spec: FlavorSpec, server: SimServer, at: float) -> bool:
    """Return whether `only_when_online` lets a run go on (Wings' getDetails state)."""
    if daemon.fails(spec, server):
        # 1.x: a DaemonConnectionException; Pelican: `missing`. Either way it does not run.
        return False
    # 1.x skips offline and stopping; Pelican's ContainerStatus::isOffline only offline.
    skipped = {PowerState.OFFLINE} if spec.is_pelican else {PowerState.OFFLINE, PowerState.STOPPING}
    return server.state_at(at) not in skipped


def run_task(
    spec: FlavorSpec, backups: BackupBook, server: SimServer, task: SimTask, *, at: float, rid: str
) -> None:
    """Send the task's action to Wings (or start a backup) at `at`; PanelError on failure."""
    if task.action == "backup":
        # Only Pelican has `is_scheduled` (CreateBackupSchema::runTask setIsScheduled).
        ignored = task.payload.split("\n")
        backups.create(
            server, at=at, rid=rid, ignored=ignored, override=True, scheduled=spec.is_pelican
        )
        return
    failure = daemon.call_failure(spec, server, rid)
    if task.action == "power":
        if failure is not None:
            raise failure
        server.apply_signal(PowerSignal(task.payload), now=at)
        return
    up = server.state_at(at) in CONTAINER_UP
    if spec.is_pelican and not server.node_down:
        # Server::send() never throws on Wings' status: the command is lost.
        failure = None
    elif failure is None and not up:
        # 1.x DaemonCommandRepository: Wings' 502 for a server that is not running.
        failure = daemon.wings_error(spec, 502, rid)
    if failure is not None:
        raise failure
    if up and daemon.refusal(spec, server) is None:
        server.commands.append(task.payload)
