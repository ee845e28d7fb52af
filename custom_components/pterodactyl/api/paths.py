"""The client API's server routes."""

from urllib.parse import quote


def server_path(identifier: str, *parts: str) -> str:
    """Return a server route; every part is escaped, as each comes from the panel's answer."""
    return "/".join(("servers", *(quote(part, safe="") for part in (identifier, *parts))))
