"""Home Assistant's REST and WebSocket APIs, as its frontend uses them: for scripts and tests."""

from collections.abc import AsyncIterator, Mapping
import json
from typing import Any, Self

import aiohttp


class DevelopError(Exception):
    """Home Assistant did not come up, or refused a step of the set-up."""


class HomeAssistantClient:
    """Home Assistant's REST and WebSocket APIs, as the frontend uses them."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        """Talk to the instance at `base_url`."""
        self.base_url = base_url.rstrip("/")
        self.client_id = f"{self.base_url}/"
        self.session = session
        self.access_token: str | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ws_id = 0

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}

    async def request(
        self, method: str, path: str, payload: Mapping[str, Any] | None = None
    ) -> tuple[int, Any]:
        """Call the REST API and return the status and the decoded body."""
        async with self.session.request(
            method, f"{self.base_url}{path}", json=payload, headers=self._headers
        ) as response:
            text = await response.text()
            try:
                body = json.loads(text) if text else None
            except ValueError:
                body = text
            return response.status, body

    async def call(self, method: str, path: str, payload: Mapping[str, Any] | None = None) -> Any:
        """Call the REST API and return the body; DevelopError unless it succeeded."""
        status, body = await self.request(method, path, payload)
        if status >= 400:
            raise DevelopError(f"{method} {path}: HTTP {status}: {body}")
        return body

    async def _token(self, code: str) -> None:
        async with self.session.post(
            f"{self.base_url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as response:
            if response.status != 200:
                raise DevelopError(f"token exchange: HTTP {response.status}")
            self.access_token = (await response.json())["access_token"]

    async def onboard(self, username: str, password: str) -> None:
        """Create the owner user through the onboarding API and finish onboarding."""
        result = await self.call(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": username.capitalize(),
                "username": username,
                "password": password,
                "language": "en",
            },
        )
        await self._token(result["auth_code"])
        for step, payload in (
            ("analytics", None),
            ("integration", {"client_id": self.client_id, "redirect_uri": self.client_id}),
        ):
            status, body = await self.request("POST", f"/api/onboarding/{step}", payload)
            if status not in (200, 403):  # 403: already done
                raise DevelopError(f"onboarding {step}: HTTP {status}: {body}")

    async def login(self, username: str, password: str) -> None:
        """Log in through the login flow, as the login page does."""
        flow = await self.call(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self.call(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
        )
        if result.get("type") != "create_entry":
            raise DevelopError(f"login as {username!r} refused: {result.get('errors')}")
        await self._token(result["result"])

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        """Open an authenticated WebSocket connection."""
        ws = await self.session.ws_connect(f"{self.base_url}/api/websocket")
        await ws.receive_json()  # auth_required
        await ws.send_json({"type": "auth", "access_token": self.access_token})
        auth = await ws.receive_json()
        if auth.get("type") != "auth_ok":
            await ws.close()
            raise DevelopError(f"WebSocket authentication failed: {auth}")
        return ws

    async def ws(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """Send a WebSocket command and return the whole answer (`success`, `result`/`error`)."""
        if self._ws is None:
            self._ws = await self._connect()
        self._ws_id += 1
        await self._ws.send_json({**message, "id": self._ws_id})
        while (received := await self._ws.receive()).type is aiohttp.WSMsgType.TEXT:
            answer: dict[str, Any] = json.loads(received.data)
            if answer.get("id") == self._ws_id and answer.get("type") == "result":
                return answer
        raise DevelopError(f"{message['type']}: Home Assistant closed the connection")

    async def events(self, event_type: str) -> AsyncIterator[dict[str, Any]]:
        """Yield {} once subscribed, then the data of every `event_type` event.

        On a connection of its own; the first yield lets a caller read what it follows without
        missing a change.
        """
        ws = await self._connect()
        try:
            await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": event_type})
            # Until Home Assistant closes the connection (it stopped).
            while (received := await ws.receive()).type is aiohttp.WSMsgType.TEXT:
                message: dict[str, Any] = json.loads(received.data)
                if message.get("type") == "result":
                    if not message.get("success"):
                        raise DevelopError(f"subscribe_events: {message.get('error')}")
                    yield {}
                if message.get("type") == "event":
                    yield message["event"]["data"]
        finally:
            await ws.close()

    async def ws_result(self, message: Mapping[str, Any]) -> Any:
        """Send a WebSocket command and return its result; DevelopError when it failed."""
        answer = await self.ws(message)
        if not answer["success"]:
            raise DevelopError(f"{message['type']}: {answer['error']}")
        return answer["result"]

    async def close(self) -> None:
        """Close the WebSocket connection."""
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def __aenter__(self) -> Self:
        """Use as an async context manager that closes the WebSocket."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the WebSocket."""
        await self.close()
