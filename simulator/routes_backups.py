"""The client API's backup routes (1.x and Pelican; 0.7 has none).

routes/api-client.php (P1 v1.11.8, PE 235c8fb): `GET|POST /servers/{server}/backups`,
`GET|DELETE …/backups/{backup}`, `POST …/backups/{backup}/lock`, handled by
app/Http/Controllers/Api/Client/Servers/BackupController.php with StoreBackupRequest.
"""

from typing import Any

from aiohttp import web

from simulator import http, transformers
from simulator.backups import SimBackup
from simulator.listing import int_query, paginate
from simulator.models import SimServer
from simulator.pipeline import Pipeline
from simulator.state import PanelState

BACKUPS_ROUTE = "/api/client/servers/{server}/backups"
BACKUP_ROUTE = BACKUPS_ROUTE + "/{backup}"


class BackupApi:
    """Handlers for a server's backups, behind the panel's middleware."""

    def __init__(self, panel: PanelState, pipeline: Pipeline) -> None:
        """Serve `panel`'s backups; `{backup}` is bound by uuid within the server."""
        self.panel = panel
        self.pipeline = pipeline
        pipeline.children["backup"] = panel.workload.backups.find

    def register(self, app: web.Application) -> None:
        """Add the routes."""
        app.router.add_get(BACKUPS_ROUTE, self.index)
        app.router.add_post(BACKUPS_ROUTE, self.store)
        app.router.add_get(BACKUP_ROUTE, self.view)
        app.router.add_delete(BACKUP_ROUTE, self.delete)
        app.router.add_post(BACKUP_ROUTE + "/lock", self.toggle_lock)

    async def _enter(self, request: web.Request, permission: str) -> tuple[SimServer, Any]:
        """Run the middleware, then the permission check (controller or FormRequest: 403)."""
        data = await self.pipeline.enter(request)
        server = self.pipeline.bind(request)
        self.pipeline.check_state(server, "backups")
        self.pipeline.authorize(server, permission)
        return server, data

    def _bound(self, request: web.Request) -> SimBackup:
        """Return the `{backup}` the pipeline bound."""
        return self.pipeline.child(request, "backup", SimBackup)

    def _object(self, backup: SimBackup) -> web.Response:
        """Return one backup (BackupTransformer)."""
        workload = self.panel.workload
        return http.json_response(
            transformers.backup_object(backup, self.panel.spec, workload.unix)
        )

    async def index(self, request: web.Request) -> web.Response:
        """GET …/backups: `min(per_page ?? 20, 50)` a page, oldest first, and `backup_count`."""
        server, _ = await self._enter(request, "backup.read")
        panel = self.panel
        per_page = min(int_query(request.query.get("per_page"), 20), 50)
        # Laravel's paginate() takes 0 (and less) for the model's 15.
        per_page = 15 if per_page <= 0 else per_page
        chunk, pagination = paginate(
            request, panel.workload.backups.of(server), per_page, keep_query=False, legacy=False
        )
        unix = panel.workload.unix
        return http.json_response(
            {
                "object": "list",
                "data": [transformers.backup_object(b, panel.spec, unix) for b in chunk],
                # addMeta() before Fractal adds the paginator's.
                "meta": {
                    "backup_count": panel.workload.backups.non_failed(server),
                    "pagination": pagination,
                },
            }
        )

    async def store(self, request: web.Request) -> web.Response:
        """POST …/backups: StoreBackupRequest, then InitiateBackupService (200, the backup)."""
        server, data = await self._enter(request, "backup.create")
        panel = self.panel
        name_max = 255 if panel.spec.is_pelican else 191
        http.validate_fields(
            panel.spec,
            data,
            {
                "name": ["nullable", "string", f"max:{name_max}"],
                "is_locked": ["nullable", "boolean"],
                "ignored": ["nullable", "string"],
            },
        )
        # The lock is only applied for a user who may delete backups.
        locked = transformers.can(server, panel.account, "backup.delete") and data.get(
            "is_locked"
        ) in (True, 1, "1")
        workload = panel.workload
        backup = workload.backups.create(
            server,
            at=panel.clock(),
            rid=workload.request_id(),
            name=data.get("name"),
            ignored=str(data.get("ignored") or "").split("\n"),
            locked=locked,
        )
        return self._object(backup)

    async def view(self, request: web.Request) -> web.Response:
        """GET …/backups/{backup}."""
        await self._enter(request, "backup.read")
        return self._object(self._bound(request))

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE …/backups/{backup}: DeleteBackupService, 204."""
        server, _ = await self._enter(request, "backup.delete")
        workload = self.panel.workload
        workload.backups.delete(server, self._bound(request), workload.request_id())
        return web.Response(status=204)

    async def toggle_lock(self, request: web.Request) -> web.Response:
        """POST …/backups/{backup}/lock: flips `is_locked` (backup.delete), 200 the backup."""
        await self._enter(request, "backup.delete")
        backup = self._bound(request)
        backup.is_locked = not backup.is_locked
        return self._object(backup)
