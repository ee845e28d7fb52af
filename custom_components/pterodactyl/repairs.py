"""Fix flows for the integration's repair issues."""

from typing import Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant

from .const import ISSUE_DATA_ENTRY_ID


class RetryLivePushFlow(ConfirmRepairFlow):
    """Reload the entry once Wings is fixed: its servers' websockets then try again."""

    def __init__(self, entry_id: str) -> None:
        """Fix the issue of one config entry."""
        self._entry_id = entry_id

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Confirm, then reload; an Origin still refused raises the issue again."""
        if user_input is not None:
            self.hass.config_entries.async_schedule_reload(self._entry_id)
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Return the fix flow of a fixable issue: only the refused Origin is one."""
    if data is None or not isinstance(entry_id := data.get(ISSUE_DATA_ENTRY_ID), str):
        raise ValueError(f"issue {issue_id} has no config entry")
    return RetryLivePushFlow(entry_id)
