"""Constants of the Pterodactyl integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "pterodactyl"
LOGGER = logging.getLogger(__package__)

CONF_VERIFY_SSL: Final = "verify_ssl"
CONF_UPDATE_INTERVAL: Final = "update_interval"

DEFAULT_UPDATE_INTERVAL: Final = 30  # seconds
MIN_UPDATE_INTERVAL: Final = 10  # seconds
# Servers created or deleted on the panel show up (or go) without a reload within this time.
SERVER_LIST_INTERVAL: Final = timedelta(minutes=5)
# While a server is starting or stopping after a power action, poll this often.
TRANSITION_POLL_INTERVAL: Final = timedelta(seconds=2)
# Give up waiting for the panel to show a power action's effect after this long.
POWER_ACTION_TIMEOUT: Final = timedelta(minutes=2)

ATTR_COMMAND: Final = "command"
ATTR_SIGNAL: Final = "signal"
SERVICE_SEND_COMMAND: Final = "send_command"
SERVICE_SEND_POWER_SIGNAL: Final = "send_power_signal"
