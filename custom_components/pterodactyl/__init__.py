"""The Pterodactyl integration: game servers of a Pterodactyl or Pelican panel."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, MAJOR_VERSION, MINOR_VERSION, Platform
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.helpers.typing import ConfigType

from .api import PterodactylInvalidURLError, normalize_url
from .const import CONF_VERIFY_SSL, DOMAIN, LOGGER
from .coordinator import PterodactylConfigEntry, PterodactylCoordinator
from .helpers import create_client, entry_unique_id
from .issues import async_delete_issue, provided_elsewhere_issue_id, two_factor_issue_id
from .ownership import async_release
from .services import async_setup_services

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR, Platform.SWITCH]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
# Home Assistant 2026.11 wants None from async_setup_entry, async_unload_entry and
# async_migrate_entry (a bool is deprecated there, and a failure is raised); 2026.9 and 2026.10
# fail an entry whose method returns anything but a bool.
RETURNS_NONE = (MAJOR_VERSION, MINOR_VERSION) >= (2026, 11)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions once, whatever entries exist."""
    async_setup_services(hass)
    return True


def entry_method_result(succeeded: bool) -> bool | None:
    """Say how an entry method went, as the running Home Assistant asks (see RETURNS_NONE)."""
    if not RETURNS_NONE:
        return succeeded
    if succeeded:
        return None
    # What 2026.11's ConfigEntries.async_unload_platforms_or_raise raises.
    raise ConfigEntryError(
        translation_domain=HOMEASSISTANT_DOMAIN, translation_key="unload_platforms_failed"
    )


async def async_setup_entry(hass: HomeAssistant, entry: PterodactylConfigEntry) -> bool | None:
    """Connect to the panel, read every server, then set up the platforms."""
    verify_ssl: bool = entry.data[CONF_VERIFY_SSL]
    try:
        client = create_client(hass, entry.data[CONF_URL], entry.data[CONF_API_KEY], verify_ssl)
    except PterodactylInvalidURLError as err:
        raise ConfigEntryError(translation_domain=DOMAIN, translation_key="invalid_url") from err
    coordinator = PterodactylCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    if entry.unique_id is None:
        unique_id = entry_unique_id(client.base_url, coordinator.account.id)
        _async_adopt_unique_id(hass, entry, unique_id)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await coordinator.async_start_push()
    coordinator.extras.start()
    return entry_method_result(True)


@callback
def _async_adopt_unique_id(
    hass: HomeAssistant, entry: PterodactylConfigEntry, unique_id: str
) -> None:
    """Give an entry created by Home Assistant core's integration (which had none) its ID."""
    if hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id) is None:
        hass.config_entries.async_update_entry(entry, unique_id=unique_id)


async def async_unload_entry(hass: HomeAssistant, entry: PterodactylConfigEntry) -> bool | None:
    """Unload the platforms; the coordinator, its websockets with it, stops with the entry."""
    if unloaded := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        # An entry that no longer updates has nothing to repair, and provides no server.
        _async_delete_issues(hass, entry.entry_id)
        entry.runtime_data.health.async_delete_issues()
        async_release(hass, entry.entry_id)
    return entry_method_result(unloaded)


async def async_remove_entry(hass: HomeAssistant, entry: PterodactylConfigEntry) -> None:
    """Delete the entry's repair issues, which an entry still retrying its setup may have."""
    _async_delete_issues(hass, entry.entry_id)


@callback
def _async_delete_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the repair issues an entry may have raised."""
    for issue_id in (two_factor_issue_id(entry_id), provided_elsewhere_issue_id(entry_id)):
        async_delete_issue(hass, issue_id)


async def async_migrate_entry(hass: HomeAssistant, entry: PterodactylConfigEntry) -> bool | None:
    """Upgrade a version 1 entry, as core's integration creates it, to version 2.1."""
    # Only version 1 gets here: Home Assistant refuses entries newer than the config flow itself.
    data = {**entry.data, CONF_VERIFY_SSL: entry.data.get(CONF_VERIFY_SSL, True)}
    try:
        data[CONF_URL] = normalize_url(data[CONF_URL])
    except PterodactylInvalidURLError:
        LOGGER.warning("Keeping the stored panel URL unchanged: it is not a valid URL")
    hass.config_entries.async_update_entry(entry, data=data, version=2, minor_version=1)
    return entry_method_result(True)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: PterodactylConfigEntry, device: DeviceEntry
) -> bool:
    """Allow removing a device only when the panel no longer lists its server."""
    if entry.state is not ConfigEntryState.LOADED:
        # Without an answer from the panel there is no knowing whether the server still exists.
        return False
    servers = entry.runtime_data.data.servers
    return not any(
        identifier in servers for domain, identifier in device.identifiers if domain == DOMAIN
    )
