"""Constants of the Pterodactyl integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "pterodactyl"
LOGGER = logging.getLogger(__package__)

CONF_VERIFY_SSL: Final = "verify_ssl"
CONF_UPDATE_INTERVAL: Final = "update_interval"
CONF_CONSOLE_EVENTS: Final = "console_events"

DEFAULT_UPDATE_INTERVAL: Final = 30  # seconds
MIN_UPDATE_INTERVAL: Final = 10  # seconds
# Servers created or deleted on the panel show up (or go) without a reload within this time.
SERVER_LIST_INTERVAL: Final = timedelta(minutes=5)
# While a server is starting or stopping after a power action, poll this often (less often when
# many are, to stay within the rate limit's headroom).
TRANSITION_POLL_INTERVAL: Final = timedelta(seconds=2)
# Polling uses at most this share of the panel's rate limit: the rest is left for the server list,
# power signals and the fast polling after them, commands, websocket tokens and the user's own use
# of the panel.
RATE_LIMIT_SHARE: Final = 0.8
# Pterodactyl 0.7 allows 15 usage reads a minute per user (/utilization's `throttle:15,1`),
# whatever its headers say: they show the client API's 60 a minute per address.
LEGACY_USAGE_RATE_LIMIT: Final = 15
# Give up waiting for the panel to show a power action's effect after this long.
POWER_ACTION_TIMEOUT: Final = timedelta(minutes=2)
# Wings sends stats about once a second: writing each would add a recorder row per second per
# sensor. A server's pushed usage is written at most this often; power state changes at once.
PUSH_WRITE_INTERVAL: Final = 5.0  # seconds

EVENT_CONSOLE_OUTPUT: Final = "pterodactyl_console_output"
# Console events per server: a sustained rate and a burst, so a flooding game (a crash dump,
# a spammy plugin) cannot flood the event bus and every automation listening to it.
CONSOLE_EVENT_RATE: Final = 20.0  # lines per second
CONSOLE_EVENT_BURST: Final = 50

EVENT_PLAYER_JOINED: Final = "pterodactyl_player_joined"
EVENT_PLAYER_LEFT: Final = "pterodactyl_player_left"
# Player queries go to the game servers themselves, never through the panel.
CONF_GAME_QUERIES: Final = "game_queries"
PLAYER_QUERY_INTERVAL: Final = timedelta(seconds=30)
# A game that does not answer within this time is "not answering", never a stuck round.
PLAYER_QUERY_TIMEOUT: Final = 2.0  # seconds
# Queries at once: enough for 200 servers to be read within a round's first few seconds.
PLAYER_QUERY_CONCURRENCY: Final = 32
# The player names a sensor carries as an attribute, at most.
MAX_PLAYER_NAMES: Final = 50

# Backups and schedules (Pterodactyl 1.x and Pelican): each server's backups are read every
# 10 minutes, and every minute while one of them runs and Wings does not push its end; its
# schedules every 5 minutes. Both spread over their period, counted in the rate-limit budget.
BACKUP_READ_INTERVAL: Final = timedelta(minutes=10)
SCHEDULE_READ_INTERVAL: Final = timedelta(minutes=5)
EVENT_BACKUP_COMPLETED: Final = "pterodactyl_backup_completed"
# A server with more schedules than this gets their buttons disabled by default.
MAX_ENABLED_SCHEDULE_BUTTONS: Final = 5

# Health: crashes, starts that never finish, power actions that never take effect.
EVENT_SERVER_CRASHED: Final = "pterodactyl_server_crashed"
CONF_STARTING_TIMEOUT: Final = "starting_timeout"
# A server starting for longer than this (minutes) is named in Repairs.
DEFAULT_STARTING_TIMEOUT: Final = 10
MIN_STARTING_TIMEOUT: Final = 1
MAX_STARTING_TIMEOUT: Final = 120
# A stop, kill or restart of ours explains the server going offline once within this time:
# Wings waits up to 10 minutes for a graceful stop (server/power.go), polls come later still.
SIGNAL_EXPLAINS_OFFLINE: Final = timedelta(minutes=15)
# The console lines kept per server for the stuck-start issue, each cut to this length.
CONSOLE_TAIL_LINES: Final = 10
CONSOLE_TAIL_LINE_LENGTH: Final = 200

ATTR_COMMAND: Final = "command"
ATTR_SIGNAL: Final = "signal"
SERVICE_SEND_COMMAND: Final = "send_command"
SERVICE_SEND_POWER_SIGNAL: Final = "send_power_signal"
SERVICE_CREATE_BACKUP: Final = "create_backup"
SERVICE_RUN_SCHEDULE: Final = "run_schedule"
ATTR_NAME: Final = "name"
ATTR_IGNORED: Final = "ignored"
ATTR_LOCKED: Final = "locked"
ATTR_ROTATE: Final = "rotate"
ATTR_SCHEDULE: Final = "schedule"

# What a fixable repair issue's data holds: the config entry its fix flow reloads.
ISSUE_DATA_ENTRY_ID: Final = "entry_id"
