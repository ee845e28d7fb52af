"""The soak's eye on the log: warnings and errors counted, tracebacks and secrets flagged."""

import logging
import re
from typing import Final

from benchmarks.soak.results import SoakResult

# A websocket token (a JWT) in a message, whatever its claims.
_JWT: Final = re.compile(r"eyJ[\w-]{8,}\.")


class LogWatch(logging.Handler):
    """Collects warnings and errors; flags tracebacks and anything secret."""

    def __init__(self, result: SoakResult, secrets: list[str]) -> None:
        """Watch for `result`; `secrets` must never appear in a message."""
        super().__init__(logging.DEBUG)
        self._result = result
        self._secrets = secrets

    def emit(self, record: logging.LogRecord) -> None:
        """Count the record; keep tracebacks and leaks in full."""
        message = record.getMessage()
        if any(secret in message for secret in self._secrets) or _JWT.search(message):
            self._result.secrets_logged += 1
        if record.levelno < logging.WARNING:
            return
        self._result.logged[f"{record.levelname} {record.name}: {record.msg}"] += 1
        if record.exc_info is not None or record.name == "asyncio":
            self._result.unhandled.append(f"{record.name}: {message}\n{self.format(record)}")
