"""The end of the soak: every server's entities and backups against the panel, no leftovers."""

from typing import Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

# The test harness ships no type information; its Home Assistant objects are typed by core.
from pytest_homeassistant_custom_component.common import MockConfigEntry  # type: ignore[import-untyped]

from benchmarks.harness import DOMAIN
from benchmarks.soak.results import SoakResult
from simulator import PanelSimulator, PowerState, SimServer
from simulator.models import ServerStatus as PanelStatus

# The event the integration fires once for every backup that ends.
BACKUP_COMPLETED: Final = f"{DOMAIN}_backup_completed"

# What a status sensor shows for each power state of the panel.
_POWER_STATUS: Final = {
    PowerState.OFFLINE: "offline",
    PowerState.STARTING: "starting",
    PowerState.RUNNING: "running",
    PowerState.STOPPING: "stopping",
}


def _expected_status(server: SimServer) -> str:
    """Return what the status sensor of a server must show, from the panel's own state."""
    if server.status is PanelStatus.SUSPENDED:
        return "suspended"
    if server.status is PanelStatus.INSTALLING:
        return "installing"
    return _POWER_STATUS[server.power_state]


def check_final_state(
    hass: HomeAssistant, sim: PanelSimulator, entry: MockConfigEntry, result: SoakResult
) -> None:
    """Compare every server's entities with the panel, and look for leftovers."""
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    for server in sim.servers.values():
        status_id = entities.async_get_entity_id("sensor", DOMAIN, f"{server.uuid}_state")
        switch_id = entities.async_get_entity_id("switch", DOMAIN, f"{server.uuid}_power")
        if status_id is None or switch_id is None:
            result.missing_entities += 1
            continue
        status = hass.states.get(status_id)
        switch = hass.states.get(switch_id)
        expected = _expected_status(server)
        switch_expected = "on" if expected in ("starting", "running") else "off"
        shown = (status.state if status else None, switch.state if switch else None)
        if shown != (expected, switch_expected):
            result.wrong_states.append(
                f"{server.name} ({server.identifier}): shows {shown}, "
                f"panel says {(expected, switch_expected)}"
            )
    listed = {server.identifier for server in sim.servers.values()}
    result.leftover_devices = sum(
        not any(i in listed for d, i in device.identifiers if d == DOMAIN)
        for device in dr.async_entries_for_config_entry(devices, entry.entry_id)
    )
    # Unique IDs are "<server uuid>_<key>".
    uuids = {server.uuid for server in sim.servers.values()}
    result.leftover_entities = sum(
        registry_entry.unique_id.split("_", 1)[0] not in uuids
        for registry_entry in er.async_entries_for_config_entry(entities, entry.entry_id)
    )
    coordinator = entry.runtime_data
    result.entry_loaded = entry.state is ConfigEntryState.LOADED and coordinator.last_update_success


class BackupEnds:
    """The backups whose end Home Assistant announced, to hold against those the panel ended."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen for the integration's backup events."""
        self.announced: set[str] = set()
        self.stop = hass.bus.async_listen(BACKUP_COMPLETED, self._heard)

    def _heard(self, event: Event) -> None:
        """Note an announced backup."""
        self.announced.add(event.data["backup_uuid"])

    def check(self, sim: PanelSimulator, start: float, end: float, result: SoakResult) -> None:
        """Every backup that ended between `start` and `end` (sim clock) must have its event.

        Only on servers still listed whose backups the account may read: of the others the
        integration hears nothing.
        """
        for server in sim.servers.values():
            if not server.can("backup.read"):
                continue
            for backup in sim.workload.backups.of(server):
                if backup.completed_at is None or not start <= backup.completed_at <= end:
                    continue
                result.backups_ended += 1
                if backup.uuid not in self.announced:
                    result.unannounced_backups.append(f"{server.name}: {backup.name}")
