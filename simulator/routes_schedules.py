"""The client API's schedule routes that read and run schedules (1.x and Pelican; 0.7: none).

routes/api-client.php (P1 v1.11.8, PE 235c8fb): `GET /servers/{server}/schedules`,
`GET …/schedules/{schedule}`, `POST …/schedules/{schedule}/execute`, handled by
app/Http/Controllers/Api/Client/Servers/ScheduleController.php with ViewScheduleRequest
(`schedule.read`) and TriggerScheduleRequest (`schedule.update`).
"""

from aiohttp import web

from simulator import http, transformers
from simulator.models import SimServer
from simulator.pipeline import Pipeline
from simulator.schedules import SimSchedule
from simulator.state import PanelState

SCHEDULES_ROUTE = "/api/client/servers/{server}/schedules"
SCHEDULE_ROUTE = SCHEDULES_ROUTE + "/{schedule}"


class ScheduleApi:
    """Handlers for a server's schedules, behind the panel's middleware."""

    def __init__(self, panel: PanelState, pipeline: Pipeline) -> None:
        """Serve `panel`'s schedules; `{schedule}` is bound by id within the server."""
        self.panel = panel
        self.pipeline = pipeline
        pipeline.children["schedule"] = panel.workload.schedules.find

    def register(self, app: web.Application) -> None:
        """Add the routes."""
        app.router.add_get(SCHEDULES_ROUTE, self.index)
        app.router.add_get(SCHEDULE_ROUTE, self.view)
        app.router.add_post(SCHEDULE_ROUTE + "/execute", self.execute)

    async def _enter(self, request: web.Request, permission: str) -> SimServer:
        """Run the middleware, then the FormRequest's permission (403)."""
        await self.pipeline.enter(request)
        server = self.pipeline.bind(request)
        self.pipeline.check_state(server, "schedules")
        self.pipeline.authorize(server, permission)
        return server

    def _bound(self, request: web.Request) -> SimSchedule:
        """Return the `{schedule}` the pipeline bound."""
        return self.pipeline.child(request, "schedule", SimSchedule)

    async def index(self, request: web.Request) -> web.Response:
        """GET …/schedules: every schedule with its tasks, no pagination."""
        server = await self._enter(request, "schedule.read")
        workload = self.panel.workload
        data = [
            transformers.schedule_object(s, workload.unix) for s in workload.schedules.of(server)
        ]
        return http.json_response({"object": "list", "data": data})

    async def view(self, request: web.Request) -> web.Response:
        """GET …/schedules/{schedule}."""
        await self._enter(request, "schedule.read")
        unix = self.panel.workload.unix
        return http.json_response(transformers.schedule_object(self._bound(request), unix))

    async def execute(self, request: web.Request) -> web.Response:
        """POST …/schedules/{schedule}/execute: run it now, active or not; 202 with `[]`."""
        server = await self._enter(request, "schedule.update")
        self.panel.workload.schedules.execute(server, self._bound(request), self.panel.clock())
        return http.json_response([], status=202)
