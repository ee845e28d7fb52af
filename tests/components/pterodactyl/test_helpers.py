"""Tests of the error translation: every panel error reads as a translated, complete message."""

import json
from pathlib import Path
import string
from typing import Any

from homeassistant.exceptions import HomeAssistantError
import pytest

from custom_components.pterodactyl.api import (
    ConflictReason,
    PterodactylApiError,
    PterodactylApplicationKeyError,
    PterodactylAuthenticationError,
    PterodactylConflictError,
    PterodactylConnectionError,
    PterodactylError,
    PterodactylForbiddenError,
    PterodactylInvalidResponseError,
    PterodactylNodeUnavailableError,
    PterodactylNotFoundError,
    PterodactylRateLimitError,
    PterodactylServerOfflineError,
    PterodactylSSLError,
    PterodactylTimeoutError,
    PterodactylTwoFactorRequiredError,
)
from custom_components.pterodactyl.const import DOMAIN
from custom_components.pterodactyl.helpers import (
    auth_failed_error,
    error_translation_key,
    translate_action_errors,
    update_failed_error,
)

TRANSLATIONS = Path(__file__).parents[3] / "custom_components" / DOMAIN / "translations"
LANGUAGES = ("en", "zh-Hans")
# The placeholders helpers.py fills in; a message using any other would show "{name}" raw.
PLACEHOLDERS = {"error", "server", "retry_after"}

ERRORS: list[tuple[PterodactylError, str]] = [
    (PterodactylApplicationKeyError(status=403, detail="application key"), "application_key"),
    (PterodactylAuthenticationError(status=401, detail="Unauthenticated."), "invalid_auth"),
    (PterodactylTwoFactorRequiredError(status=400, detail="2FA"), "two_factor_required"),
    (PterodactylServerOfflineError(status=502, detail="must be online"), "server_offline"),
    (PterodactylServerOfflineError(status=412, detail="Server is not online."), "server_offline"),
    *(
        (PterodactylConflictError(detail="conflict", reason=reason), key)
        for reason, key in (
            (ConflictReason.SUSPENDED, "server_suspended"),
            (ConflictReason.INSTALLING, "server_installing"),
            (ConflictReason.TRANSFERRING, "server_transferring"),
            (ConflictReason.RESTORING, "server_restoring"),
            (ConflictReason.NODE_MAINTENANCE, "node_maintenance"),
            (ConflictReason.UNKNOWN, "server_conflict"),
        )
    ),
    (PterodactylForbiddenError(status=403, detail="unauthorized"), "missing_permission"),
    (PterodactylNotFoundError(status=404, detail="gone"), "server_not_found"),
    (PterodactylRateLimitError(retry_after=17), "rate_limited"),
    (PterodactylNodeUnavailableError(status=504, detail="no wings"), "node_unavailable"),
    (PterodactylSSLError("bad certificate"), "ssl_error"),
    (PterodactylTimeoutError("slow"), "cannot_connect"),
    (PterodactylConnectionError("refused"), "cannot_connect"),
    (PterodactylInvalidResponseError("login page"), "invalid_response"),
    (PterodactylApiError(status=500, detail="boom"), "panel_error"),
    (PterodactylError("anything else"), "panel_error"),
]


def _translations(language: str) -> dict[str, Any]:
    """Load one translation file."""
    data: dict[str, Any] = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    return data


def _fields(message: str) -> set[str]:
    """Return the placeholder names a message uses."""
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


@pytest.mark.parametrize(("error", "key"), ERRORS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_error_has_a_translated_message(
    error: PterodactylError, key: str, language: str
) -> None:
    """Each client error maps to a message in both languages that uses only known placeholders."""
    assert error_translation_key(error) == key
    message = _translations(language)["exceptions"][key]["message"]
    assert message.strip()
    assert _fields(message) <= PLACEHOLDERS
    assert "://" not in message


@pytest.mark.parametrize("language", LANGUAGES)
def test_exception_messages_use_the_same_placeholders_in_every_language(language: str) -> None:
    """A translation may reword a message but must not drop or invent a placeholder."""
    english = _translations("en")["exceptions"]
    translated = _translations(language)["exceptions"]
    assert translated.keys() == english.keys()
    for key, entry in english.items():
        assert _fields(translated[key]["message"]) == _fields(entry["message"]), key


def test_action_error_names_the_server() -> None:
    """An action's error carries the server's name and the panel's words, never a raw status."""
    with pytest.raises(HomeAssistantError) as raised, translate_action_errors("Survival"):
        raise PterodactylConflictError(
            detail="This server is currently suspended.", reason=ConflictReason.SUSPENDED
        )
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "server_suspended"
    assert raised.value.translation_placeholders == {
        "error": "This server is currently suspended.",
        "server": "Survival",
        "retry_after": "60",
    }
    assert isinstance(raised.value.__cause__, PterodactylConflictError)


def test_action_errors_pass_other_exceptions_through() -> None:
    """Only panel errors are translated; a bug elsewhere keeps its own traceback."""
    with pytest.raises(KeyError), translate_action_errors("Survival"):
        raise KeyError("not a panel error")


def test_rate_limit_error_keeps_the_panels_delay() -> None:
    """A 429's Retry-After reaches the coordinator and the message."""
    error = update_failed_error(PterodactylRateLimitError(retry_after=17.4))
    assert error.retry_after == 17.4
    assert error.translation_key == "rate_limited"
    assert error.translation_placeholders is not None
    assert error.translation_placeholders["retry_after"] == "17"


def test_placeholder_falls_back_to_the_message_without_detail() -> None:
    """Errors without the panel's detail still explain themselves."""
    error = auth_failed_error(PterodactylAuthenticationError(status=403))
    assert error.translation_key == "invalid_auth"
    assert error.translation_placeholders is not None
    assert error.translation_placeholders["error"] == "HTTP 403 Forbidden"


def test_rate_limit_without_retry_after_waits_a_minute() -> None:
    """A proxy's 429 without Retry-After waits out the panel's one-minute window, as it says."""
    error = update_failed_error(PterodactylRateLimitError(retry_after=None))
    assert error.retry_after == 60
    assert error.translation_placeholders is not None
    assert error.translation_placeholders["retry_after"] == "60"


@pytest.mark.parametrize(("error", "key"), ERRORS)
def test_a_failed_update_names_no_server(error: PterodactylError, key: str) -> None:
    """A whole update's failure has no server to name: its message never leaves a blank."""
    failed = update_failed_error(error)
    assert failed.translation_key is not None
    message = _translations("en")["exceptions"][failed.translation_key]["message"]
    assert "server" not in _fields(message)
    # Errors that name no server keep their own message.
    if "server" not in _fields(_translations("en")["exceptions"][key]["message"]):
        assert failed.translation_key == key
