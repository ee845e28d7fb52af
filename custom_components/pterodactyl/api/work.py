"""A server's backups and schedules on the client API (Pterodactyl 1.x and Pelican; not 0.7)."""

from typing import Final

from .exceptions import PterodactylBackupThrottledError, PterodactylRateLimitError
from .models import Backup, Schedule
from .parsing import parse_backup, parse_backup_page, parse_schedules
from .paths import server_path
from .transport import PanelTransport

# The panel serves at most 50 backups a page (BackupController::index).
BACKUP_PAGE_SIZE: Final = 50
MAX_BACKUP_PAGES: Final = 100


class ServerWorkApi:
    """Backups and schedules: what a server's owner runs besides its power."""

    def __init__(self, transport: PanelTransport) -> None:
        """Call the panel through `transport`, the client's own."""
        self._transport = transport

    async def list_backups(self, identifier: str) -> list[Backup]:
        """List every backup of a server, oldest first (needs backup.read)."""
        backups: list[Backup] = []
        for page in range(1, MAX_BACKUP_PAGES + 1):
            payload = await self._transport.request(
                "GET",
                server_path(identifier, "backups"),
                params={"page": str(page), "per_page": str(BACKUP_PAGE_SIZE)},
            )
            listed, has_more = parse_backup_page(payload)
            backups.extend(listed)
            if not has_more:
                break
        return backups

    async def create_backup(
        self,
        identifier: str,
        *,
        name: str | None = None,
        ignored: str | None = None,
        locked: bool = False,
    ) -> Backup:
        """Start a backup (needs backup.create; a lock needs backup.delete too)."""
        body: dict[str, str | bool] = {"is_locked": locked}
        if name:
            body["name"] = name
        if ignored:
            body["ignored"] = ignored
        try:
            payload = await self._transport.request(
                "POST",
                server_path(identifier, "backups"),
                body=body,
                # The route's 429 is the backup throttle (2 per 10 minutes), not the account's.
                shows_account_limit=False,
            )
        except PterodactylRateLimitError as err:
            raise PterodactylBackupThrottledError(
                status=err.status, code=err.code, detail=err.detail, retry_after=err.retry_after
            ) from err
        return parse_backup(payload)

    async def delete_backup(self, identifier: str, uuid: str) -> None:
        """Delete a backup (needs backup.delete; a locked, good one is refused)."""
        await self._transport.request("DELETE", server_path(identifier, "backups", uuid))

    async def list_schedules(self, identifier: str) -> list[Schedule]:
        """List a server's schedules (needs schedule.read)."""
        return parse_schedules(
            await self._transport.request("GET", server_path(identifier, "schedules"))
        )

    async def run_schedule(self, identifier: str, schedule_id: int) -> None:
        """Run a schedule now, active or not (needs schedule.update)."""
        await self._transport.request(
            "POST", server_path(identifier, "schedules", str(schedule_id), "execute")
        )
