"""The soak's chaos: what users, the panel's owner, the panel and Wings do, each event weighted."""

import asyncio
from collections.abc import Awaitable, Callable
import random
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from benchmarks.harness import DOMAIN
from benchmarks.soak.lasting import LastingChanges
from benchmarks.soak.panel import POLLED_PERMISSIONS
from benchmarks.soak.results import SoakResult
from simulator import Access, Fault, FaultKind, Flavor, PanelSimulator, PowerSignal, SimServer


class Chaos:
    """Random use and faults from a seeded generator, against Home Assistant and the panel."""

    def __init__(self, hass: HomeAssistant, sim: PanelSimulator, result: SoakResult) -> None:
        """Prepare the events."""
        self.hass = hass
        self.sim = sim
        self.result = result
        # Reproducible chaos, not secrets.
        self.rng = random.Random(result.settings.seed)  # noqa: S311
        self._lasting = LastingChanges()
        weights: dict[Callable[[], Awaitable[None]], float] = {
            self.switch_power: 20,
            self.power_signal: 8,
            self.console_command: 10,
            self.take_backup: 3,
            self.run_schedule: 2,
            self.panel_side_power: 10,
            self.replace_server: 0.5,
            self.suspend: 1.5,
            self.reinstall: 1,
            self.transfer_or_maintenance: 1,
            self.node_down: 2,
            self.http_fault: 8,
            self.token_fault: 1,
            self.panel_outage: 0.3,
            self.drop_socket: 6,
            self.expire_token: 2,
            self.daemon_error: 2,
            self.wings_restart: 0.3,
        }
        self._events = list(weights)
        self._weights = list(weights.values())

    async def run(self, seconds: float) -> None:
        """Fire random events for `seconds` of simulated time."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        rate = self.result.settings.events_per_hour / 3600
        while (wait := self.rng.expovariate(rate)) < end - loop.time():
            await asyncio.sleep(wait)
            event = self.rng.choices(self._events, self._weights)[0]
            self.result.events[event.__name__] += 1
            await event()
        await asyncio.sleep(max(0.0, end - loop.time()))

    async def undo_all(self) -> None:
        """End every lasting change now."""
        self._lasting.undo_all()
        self.sim.clear_faults()

    # Users, through Home Assistant.

    async def switch_power(self) -> None:
        """Turn a server's power switch on or off."""
        if (target := self._switch()) is None:
            return
        entity_id, state = target
        service = "turn_off" if state == "on" else "turn_on"
        await self._call("switch", service, {"entity_id": entity_id})

    async def power_signal(self) -> None:
        """Restart or kill a server with the integration's action."""
        if (target := self._switch()) is None:
            return
        signal = self.rng.choice(["restart", "kill"])
        await self._call(DOMAIN, "send_power_signal", {"entity_id": target[0], "signal": signal})

    async def console_command(self) -> None:
        """Send a console command."""
        if (target := self._switch()) is None:
            return
        await self._call(DOMAIN, "send_command", {"entity_id": target[0], "command": "say soak"})

    async def take_backup(self) -> None:
        """Back a server up with the integration's action; half the time rotating a full one."""
        if (target := self._switch()) is None:
            return
        rotate = self.rng.random() < 0.5
        await self._call(DOMAIN, "create_backup", {"entity_id": target[0], "rotate": rotate})

    async def run_schedule(self) -> None:
        """Run one of a server's schedules now: its button, or the action by name."""
        server = self._server()
        schedules = self.sim.workload.schedules.of(server)
        if not schedules or (target := self._switch(server)) is None:
            return
        schedule = self.rng.choice(schedules)
        button = er.async_get(self.hass).async_get_entity_id(
            "button", DOMAIN, f"{server.uuid}_schedule_{schedule.id}"
        )
        if button is not None and self.rng.random() < 0.5:
            await self._call("button", "press", {"entity_id": button})
        else:
            data = {"entity_id": target[0], "schedule": schedule.name}
            await self._call(DOMAIN, "run_schedule", data)

    # The panel's owner and the panel itself.

    async def panel_side_power(self) -> None:
        """Start, stop, restart or crash a server from the panel, behind Home Assistant's back."""
        server = self._server()
        server.apply_signal(self.rng.choice(list(PowerSignal)))

    async def replace_server(self) -> None:
        """Delete a server and create another: the panel's size stays the same."""
        server = self._server(undisturbed=True)
        self.sim.remove_server(server.identifier)
        await self.sim.disconnect_websockets(server.identifier)
        self.result.servers_deleted += 1
        added = self.sim.add_server()
        if server.access is not Access.OWNER:
            # As many servers stay polled: calm after the chaos compares with calm before it.
            self.sim.make_subuser(added.identifier, POLLED_PERMISSIONS)
        if self.rng.random() < 0.5:
            added.apply_signal(PowerSignal.START)
        self.result.servers_added += 1

    async def suspend(self) -> None:
        """Suspend a server for a while."""
        identifier = self._server(undisturbed=True).identifier
        self._for_a_while(identifier, 20, 90, lambda on: self.sim.suspend(identifier, on))

    async def reinstall(self) -> None:
        """Reinstall a server: it is installing for a while."""
        identifier = self._server(undisturbed=True).identifier
        self._for_a_while(identifier, 5, 20, lambda on: self.sim.set_installing(identifier, on))

    async def transfer_or_maintenance(self) -> None:
        """Transfer a server to another node, or put its node in maintenance, for a while."""
        identifier = self._server(undisturbed=True).identifier
        if self.rng.choice(["transferring", "node_maintenance"]) == "transferring":
            self._for_a_while(
                identifier, 5, 30, lambda on: self.sim.set_state(identifier, transferring=on)
            )
        else:
            self._for_a_while(
                identifier, 5, 30, lambda on: self.sim.set_state(identifier, node_maintenance=on)
            )

    async def node_down(self) -> None:
        """Make a server's node unreachable for a few minutes."""
        identifier = self._server(undisturbed=True).identifier
        self._for_a_while(identifier, 2, 15, lambda on: self.sim.set_node_down(identifier, on))

    async def http_fault(self) -> None:
        """Make one server's usage requests fail one way for a few minutes."""
        server = self._server(undisturbed=True)
        fault = self.rng.choice(
            [
                Fault(FaultKind.STATUS, status=500),
                Fault(FaultKind.STATUS, status=502),
                Fault(FaultKind.STATUS, status=504),
                Fault(FaultKind.CLOSE),
                Fault(FaultKind.DISCONNECT),
                Fault(FaultKind.TRUNCATED_JSON),
                Fault(FaultKind.NON_JSON),
                Fault(FaultKind.REDIRECT_LOGIN),
                Fault(FaultKind.DELAY, delay=30.0),
            ]
        )
        fault.server = server.identifier
        fault.path_contains = "/utilization" if self.sim.flavor is Flavor.LEGACY else "/resources"
        self._fault(fault, self._minutes(1, 10), server.identifier)

    async def token_fault(self) -> None:
        """Refuse a server's websocket tokens for a few minutes."""
        server = self._server(undisturbed=True)
        fault = Fault(FaultKind.STATUS, status=500, server=server.identifier)
        fault.path_contains = "/websocket"
        self._fault(fault, self._minutes(1, 10), server.identifier)

    async def panel_outage(self) -> None:
        """Fail the whole panel (a proxy's 502 page, or a 429 with Retry-After) a few minutes."""
        if self.rng.random() < 0.5:
            # The proxy in front of the panel answers with its HTML page, not the panel's JSON.
            fault = Fault(FaultKind.NON_JSON, status=502)
        else:
            fault = Fault(FaultKind.STATUS, status=429, code="TooManyRequests", retry_after=60)
        self._fault(fault, self._minutes(1, 5), None)

    # Wings.

    async def drop_socket(self) -> None:
        """Drop a server's socket without a close frame, or close it cleanly."""
        server = self._server()
        if self.rng.random() < 0.5:
            self.sim.wings.drop(server.identifier)
        else:
            await self.sim.disconnect_websockets(server.identifier)

    async def expire_token(self) -> None:
        """Expire a server's websocket token early."""
        self.sim.expire_websocket_tokens(self._server().identifier)

    async def daemon_error(self) -> None:
        """Send a `daemon error` or a `jwt error` on a server's socket."""
        server = self._server()
        if self.rng.random() < 0.5:
            self.sim.send_websocket_event(server.identifier, "daemon error", "soak: daemon error")
        else:
            self.sim.send_websocket_event(server.identifier, "jwt error", "soak: jwt error")

    async def wings_restart(self) -> None:
        """Every socket drops at once, as when Wings restarts."""
        self.sim.wings.drop()

    # Helpers.

    def _minutes(self, low: float, high: float) -> float:
        """Return a random duration in seconds."""
        return self.rng.uniform(low, high) * 60

    def _server(self, *, undisturbed: bool = False) -> SimServer:
        """Return a random server of the panel (optionally one without a lasting change)."""
        servers = [
            server
            for server in self.sim.servers.values()
            if not undisturbed or not self._lasting.disturbs(server.identifier)
        ]
        return self.rng.choice(servers or list(self.sim.servers.values()))

    def _switch(self, server: SimServer | None = None) -> tuple[str, str] | None:
        """Return the power switch of `server` (default: a random one) and its state."""
        registry = er.async_get(self.hass)
        server = server or self._server()
        entity_id = registry.async_get_entity_id("switch", DOMAIN, f"{server.uuid}_power")
        state = self.hass.states.get(entity_id) if entity_id is not None else None
        if entity_id is None or state is None:
            return None
        return entity_id, state.state

    def _for_a_while(
        self, identifier: str, low: float, high: float, change: Callable[[bool], object]
    ) -> None:
        """Make a change to a server now (`change(True)`), undone after `low` to `high` minutes."""
        change(True)
        self._lasting.add(self._minutes(low, high), identifier, lambda: change(False))

    def _fault(self, fault: Fault, seconds: float, identifier: str | None) -> None:
        """Apply a fault for `seconds`."""
        self.sim.inject_fault(fault)
        self._lasting.add(seconds, identifier, lambda: self.sim.remove_fault(fault))

    async def _call(self, domain: str, service: str, data: dict[str, Any]) -> None:
        """Call an action as a user would; a translated refusal is fine, anything else is not."""
        try:
            async with asyncio.timeout(120):
                await self.hass.services.async_call(domain, service, data, blocking=True)
        except HomeAssistantError as err:
            self.result.refused_actions[err.translation_key or type(err).__name__] += 1
        except Exception as err:  # the soak reports whatever escapes
            self.result.unexpected_errors.append(f"{domain}.{service}: {err!r}")
