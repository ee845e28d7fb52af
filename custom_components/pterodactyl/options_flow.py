"""Options: polling, console events, stuck starts, and how to ask each game server for players."""

from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import probatio

from .const import (
    CONF_CONSOLE_EVENTS,
    CONF_GAME_QUERIES,
    CONF_STARTING_TIMEOUT,
    CONF_UPDATE_INTERVAL,
    DEFAULT_STARTING_TIMEOUT,
    DEFAULT_UPDATE_INTERVAL,
    MAX_STARTING_TIMEOUT,
    MIN_STARTING_TIMEOUT,
    MIN_UPDATE_INTERVAL,
)
from .game_query import QueryProtocol, parse_address
from .players import PROTOCOL_AUTOMATIC, PROTOCOL_OFF, query_target

MAX_UPDATE_INTERVAL = 3600  # seconds
CONF_SERVER = "server"
CONF_PROTOCOL = "protocol"
CONF_ADDRESS = "address"

PANEL_SCHEMA = probatio.Schema(
    {
        # No min/max here: the selector would refuse a value with its own English words;
        # the step checks the range and says it in the user's language.
        probatio.Required(CONF_UPDATE_INTERVAL): NumberSelector(
            NumberSelectorConfig(step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX)
        ),
        probatio.Required(CONF_CONSOLE_EVENTS, default=False): bool,
        probatio.Required(CONF_STARTING_TIMEOUT): NumberSelector(
            NumberSelectorConfig(step=1, unit_of_measurement="min", mode=NumberSelectorMode.BOX)
        ),
    }
)
GAME_QUERY_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_PROTOCOL): SelectSelector(
            SelectSelectorConfig(
                options=[
                    PROTOCOL_AUTOMATIC,
                    *(protocol.value for protocol in QueryProtocol),
                    PROTOCOL_OFF,
                ],
                translation_key="query_protocol",
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
        probatio.Optional(CONF_ADDRESS): TextSelector(),
    }
)


def _whole_in(value: float, low: int, high: int) -> bool:
    """Return whether a number typed in a box is whole and within the range."""
    return value == int(value) and low <= value <= high


class PterodactylOptionsFlow(OptionsFlowWithReload):
    """Change the panel options or one server's player query; the entry reloads with them."""

    _server: tuple[str, str]  # the uuid and name of the server whose query is being set

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask what to change."""
        return self.async_show_menu(step_id="init", menu_options=["panel", "game_queries"])

    async def async_step_panel(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the update interval, console events and how long a start may take."""
        errors: dict[str, str] = {}
        options = self.config_entry.options
        if user_input is not None:
            interval = user_input[CONF_UPDATE_INTERVAL]
            starting = user_input[CONF_STARTING_TIMEOUT]
            if not _whole_in(interval, MIN_UPDATE_INTERVAL, MAX_UPDATE_INTERVAL):
                errors[CONF_UPDATE_INTERVAL] = "update_interval_out_of_range"
            if not _whole_in(starting, MIN_STARTING_TIMEOUT, MAX_STARTING_TIMEOUT):
                errors[CONF_STARTING_TIMEOUT] = "starting_timeout_out_of_range"
            if not errors:
                return self.async_create_entry(
                    data={
                        **options,
                        CONF_UPDATE_INTERVAL: int(interval),
                        CONF_CONSOLE_EVENTS: user_input[CONF_CONSOLE_EVENTS],
                        CONF_STARTING_TIMEOUT: int(starting),
                    }
                )
        shown = user_input or {
            CONF_UPDATE_INTERVAL: options.get(CONF_UPDATE_INTERVAL, DEFAULT_UPDATE_INTERVAL),
            CONF_CONSOLE_EVENTS: options.get(CONF_CONSOLE_EVENTS, False),
            CONF_STARTING_TIMEOUT: options.get(CONF_STARTING_TIMEOUT, DEFAULT_STARTING_TIMEOUT),
        }
        return self.async_show_form(
            step_id="panel",
            data_schema=self.add_suggested_values_to_schema(PANEL_SCHEMA, shown),
            errors=errors,
            description_placeholders={
                "min": str(MIN_UPDATE_INTERVAL),
                "max": str(MAX_UPDATE_INTERVAL),
                "starting_min": str(MIN_STARTING_TIMEOUT),
                "starting_max": str(MAX_STARTING_TIMEOUT),
            },
        )

    async def async_step_game_queries(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask which server's player query to set."""
        if self.config_entry.state is not ConfigEntryState.LOADED:
            # The servers are known only from the panel's answer.
            return self.async_abort(reason="servers_unknown")
        servers = {
            data.server.uuid: data.server.name
            for data in self.config_entry.runtime_data.data.servers.values()
        }
        if user_input is not None:
            uuid = user_input[CONF_SERVER]
            self._server = (uuid, servers[uuid])
            return await self.async_step_game_query()
        choices = [
            SelectOptionDict(value=uuid, label=name)
            for uuid, name in sorted(servers.items(), key=lambda item: item[1].casefold())
        ]
        return self.async_show_form(
            step_id="game_queries",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_SERVER): SelectSelector(
                        SelectSelectorConfig(options=choices, mode=SelectSelectorMode.DROPDOWN)
                    )
                }
            ),
        )

    async def async_step_game_query(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how to query the chosen server: its protocol, and an address behind NAT."""
        uuid, name = self._server
        queries: dict[str, dict[str, str]] = dict(
            self.config_entry.options.get(CONF_GAME_QUERIES, {})
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            address = (user_input.get(CONF_ADDRESS) or "").strip()
            if address and parse_address(address) is None:
                errors[CONF_ADDRESS] = "invalid_address"
            else:
                protocol = user_input[CONF_PROTOCOL]
                if protocol == PROTOCOL_AUTOMATIC and not address:
                    queries.pop(uuid, None)
                else:
                    queries[uuid] = {CONF_PROTOCOL: protocol, CONF_ADDRESS: address}
                return self.async_create_entry(
                    data={**self.config_entry.options, CONF_GAME_QUERIES: queries}
                )
        current = queries.get(uuid, {})
        shown = user_input or {
            CONF_PROTOCOL: current.get(CONF_PROTOCOL, PROTOCOL_AUTOMATIC),
            CONF_ADDRESS: current.get(CONF_ADDRESS, ""),
        }
        return self.async_show_form(
            step_id="game_query",
            data_schema=self.add_suggested_values_to_schema(GAME_QUERY_SCHEMA, shown),
            errors=errors,
            description_placeholders={"server": name, "detected": self._detected(uuid)},
        )

    def _detected(self, uuid: str) -> str:
        """Return what automatic detection finds for the server: protocol and address."""
        data = next(
            data
            for data in self.config_entry.runtime_data.data.servers.values()
            if data.server.uuid == uuid
        )
        target = query_target(data, {})
        return f"{target.protocol} @ {target}" if target is not None else "-"
