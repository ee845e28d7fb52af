"""Each server's backups: read every 10 minutes, followed while one runs, announced when done."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api import (
    Backup,
    BackupCompleted,
    PterodactylBackupLimitError,
    PterodactylClient,
    PterodactylError,
    PterodactylForbiddenError,
)
from .console import server_event_data
from .const import BACKUP_READ_INTERVAL, EVENT_BACKUP_COMPLETED, LOGGER
from .models import ServerData
from .pushed import ServerListeners
from .reader import StaggeredReader
from .servers import ServerList


@dataclass(slots=True)
class ServerBackups:
    """What is known of one server's backups."""

    backups: list[Backup] | None = None  # None until read
    # Backups whose end was announced, so a read and Wings' event announce each once.
    announced: set[str] = field(default_factory=set)

    @property
    def running(self) -> bool:
        """Return whether a backup of the server is being made."""
        return any(backup.running for backup in self.backups or ())

    @property
    def kept(self) -> list[Backup]:
        """Return the backups the panel counts against the limit, oldest first."""
        return [backup for backup in self.backups or () if backup.counts_to_limit]

    @property
    def last_good(self) -> Backup | None:
        """Return the newest successful backup."""
        good = [b for b in self.backups or () if b.is_successful and b.completed_at]
        return max(good, key=lambda backup: backup.completed_at or backup.created_at, default=None)


class BackupTracker(StaggeredReader):
    """Keeps every server's backups, within the rate limit; starts backups for the actions."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        client: PterodactylClient,
        *,
        server_list: ServerList,
        servers: Callable[[], Mapping[str, ServerData]],
        pushed: Callable[[str], bool],
    ) -> None:
        """Read through `client` the backups of the servers `servers` returns."""
        super().__init__(hass, client, servers, BACKUP_READ_INTERVAL)
        self._entry_id = entry_id
        self._server_list = server_list
        self._pushed = pushed
        self._listeners = ServerListeners()
        self._discovery: list[Callable[[], None]] = []
        self.by_server: dict[str, ServerBackups] = {}

    def add_listener(self, identifier: str, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` when the server's backups change; return the remover."""
        return self._listeners.add(identifier, listener)

    def add_discovery_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` when a server's backups are read for the first time."""
        self._discovery.append(listener)
        return lambda: self._discovery.remove(listener)

    def has_backups(self, identifier: str) -> bool:
        """Return whether the server has backups to show: readable, and allowed any."""
        return identifier in self.by_server and self.by_server[identifier].backups is not None

    def backups_of(self, identifier: str) -> ServerBackups:
        """Return what is known of a server's backups."""
        return self.by_server.get(identifier) or ServerBackups()

    def _urgent(self) -> list[str]:
        """Return the servers with a running backup whose end Wings will not push."""
        return [
            identifier
            for identifier, known in self.by_server.items()
            if known.running and not self._pushed(identifier) and identifier in self._servers()
        ]

    def _readable(self) -> list[str]:
        """Return the servers whose backups may be read: listed, allowed some, not denied."""
        return [
            identifier
            for identifier, data in self._servers().items()
            if data.server.backup_limit != 0 and identifier not in self.denied
        ]

    async def async_read(self, identifier: str, completed: BackupCompleted | None = None) -> None:
        """Read a server's backups; announce the ones that ended since the last read.

        `completed` is a backup Wings said ended, announced after this read names it.
        """
        self._record(identifier)
        try:
            backups = await self._client.work.list_backups(identifier)
        except PterodactylForbiddenError:
            LOGGER.debug("This account may not read the backups of server %s", identifier)
            self.denied.add(identifier)
            return
        except PterodactylError as err:
            LOGGER.debug("Could not read the backups of server %s: %s", identifier, err)
            return
        known = self.by_server.setdefault(identifier, ServerBackups())
        previous = {backup.uuid: backup for backup in known.backups or ()}
        first_read = known.backups is None
        known.backups = backups
        for backup in backups:
            before = previous.get(backup.uuid)
            ended = not backup.running and (before is None or before.running)
            # On the first read, only what is being followed is news; older ends are history.
            if ended and not first_read:
                self._announce(identifier, backup.uuid, backup.is_successful, backup.size_bytes)
        if completed is not None:
            self._announce(
                identifier, completed.uuid, completed.is_successful, completed.size_bytes
            )
        known.announced.intersection_update(backup.uuid for backup in backups)
        self._listeners.notify(identifier)
        if first_read:
            for listener in list(self._discovery):
                listener()

    async def async_create(
        self,
        identifier: str,
        *,
        name: str | None,
        ignored: str | None,
        locked: bool,
        rotate: bool,
    ) -> Backup:
        """Start a backup; when the server is full, delete its oldest unlocked one if asked."""
        known = self.by_server.setdefault(identifier, ServerBackups())
        if known.backups is None:
            await self.async_read(identifier)
        limit = self._servers()[identifier].server.backup_limit
        kept = known.kept
        if limit is not None and len(kept) >= limit:
            oldest = next((backup for backup in kept if not backup.is_locked), None)
            if not rotate or oldest is None:
                raise PterodactylBackupLimitError(
                    f"The server keeps at most {limit} backups", status=400
                )
            # As the panel's own rotation does (a schedule's backup task): oldest unlocked first.
            await self._client.work.delete_backup(identifier, oldest.uuid)
        backup = await self._client.work.create_backup(
            identifier, name=name, ignored=ignored, locked=locked
        )
        known.backups = [b for b in known.backups or () if b.uuid != backup.uuid] + [backup]
        self._listeners.notify(identifier)
        return backup

    def backup_completed(self, identifier: str, completed: BackupCompleted) -> None:
        """Take Wings' word that a backup ended: shown at once, read again for its record."""
        known = self.by_server.setdefault(identifier, ServerBackups())
        if any(backup.uuid == completed.uuid for backup in known.backups or ()):
            now = dt_util.utcnow()
            known.backups = [
                replace(
                    backup,
                    is_successful=completed.is_successful,
                    size_bytes=completed.size_bytes,
                    completed_at=backup.completed_at or now,
                )
                if backup.uuid == completed.uuid
                else backup
                for backup in known.backups or ()
            ]
            self._announce_completed(identifier, completed)
            self._listeners.notify(identifier)
        # A backup not seen yet (a schedule's) is announced once the read names it.
        unseen = None if completed.uuid in known.announced else completed
        self._hass.async_create_background_task(
            self.async_read(identifier, unseen), f"pterodactyl backups {identifier}"
        )

    def forget(self, identifier: str) -> None:
        """Forget a server the panel no longer lists."""
        super().forget(identifier)
        self.by_server.pop(identifier, None)

    def _announce_completed(self, identifier: str, completed: BackupCompleted) -> None:
        """Announce a backup Wings said ended."""
        self._announce(identifier, completed.uuid, completed.is_successful, completed.size_bytes)

    def _announce(self, identifier: str, uuid: str, successful: bool, size: int) -> None:
        """Fire `pterodactyl_backup_completed` once per backup."""
        known = self.by_server.setdefault(identifier, ServerBackups())
        if uuid in known.announced or identifier not in self._server_list.servers:
            return
        known.announced.add(uuid)
        backup = next((b for b in known.backups or () if b.uuid == uuid), None)
        event = server_event_data(self._hass, self._entry_id, self._server_list, identifier)
        event |= {
            "backup": backup.name if backup is not None else None,
            "backup_uuid": uuid,
            "successful": successful,
            "size_bytes": size,
        }
        self._hass.bus.async_fire(EVENT_BACKUP_COMPLETED, event)
