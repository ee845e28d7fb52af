"""Request and response helpers that mimic Laravel: Accept negotiation, input, validation."""

from collections.abc import Mapping
import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from simulator.errors import MALFORMED_JSON, PanelError
from simulator.flavors import FlavorSpec

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Pterodactyl</title></head>
<body>
<form method="post" action="/auth/login">
<h1>Login to Continue</h1>
<label>Username or Email <input name="user" type="text"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Login</button>
</form>
</body>
</html>
"""

_REASONS = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}


def dumps(body: Any) -> str:
    """Encode like PHP's json_encode: compact, ASCII-only, with escaped slashes."""
    # "/" only occurs inside JSON strings, so escaping it everywhere is safe.
    return json.dumps(body, separators=(",", ":")).replace("/", "\\/")


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Return a JSON response encoded the way the panel encodes it."""
    return web.Response(
        text=dumps(body), status=status, headers=headers, content_type="application/json"
    )


def expects_json(request: web.Request) -> bool:
    """Return Laravel's `expectsJson()`: the preferred Accept type is JSON, or an XHR."""
    accept = request.headers.get("Accept", "")
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, media.lower()))
    ranked.sort()
    if ranked and ("/json" in ranked[0][2] or "+json" in ranked[0][2]):
        return True
    accepts_any = not ranked or ranked[0][2] in ("*/*", "*")
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" and accepts_any


def login_redirect(request: web.Request) -> web.Response:
    """Return the 302 Laravel sends unauthenticated browsers."""
    location = f"{request.scheme}://{request.host}/auth/login"
    body = (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="UTF-8" />\n'
        f'<meta http-equiv="refresh" content="0;url=\'{location}\'" />\n'
        f"<title>Redirecting to {location}</title>\n</head>\n"
        f'<body>\nRedirecting to <a href="{location}">{location}</a>.\n</body>\n</html>'
    )
    return web.Response(
        status=302, text=body, content_type="text/html", headers={"Location": location}
    )


def login_page() -> web.Response:
    """Return the HTML login page."""
    return web.Response(text=LOGIN_PAGE, content_type="text/html")


def html_error(status: int) -> web.Response:
    """Return Laravel's HTML error page for a non-JSON client."""
    reason = _REASONS.get(status, "Error")
    text = (
        f"<!DOCTYPE html><html><head><title>{reason}</title></head>"
        f"<body>{status} | {reason}</body></html>"
    )
    return web.Response(status=status, text=text, content_type="text/html")


def render_error(request: web.Request, error: PanelError) -> web.Response:
    """Return the response for a panel error, honouring the client's Accept header."""
    if not expects_json(request):
        # Only AuthenticationException redirects; other errors get an HTML page.
        if error.code == "AuthenticationException":
            return login_redirect(request)
        response = html_error(error.status)
        response.headers.update(error.headers)
        return response
    return json_response(error.body(), status=error.status, headers=error.headers)


def _clean(value: Any) -> Any:
    """Apply Laravel's TrimStrings and ConvertEmptyStringsToNull middleware."""
    if isinstance(value, str):
        trimmed = value.strip()
        return trimmed or None
    return value


async def read_input(request: web.Request, *, strict: bool = True) -> dict[str, Any]:
    """Return the request input (JSON or form).

    `strict`: raise 400 on malformed JSON (IsValidJson, 1.x and Pelican); 0.7 has no such
    middleware and reads a malformed body as empty input.
    """
    if not request.can_read_body:
        return {}
    raw = await request.read()
    content_type = request.content_type.lower()
    data: Any
    if "/json" in content_type or "+json" in content_type:
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as err:
            if not strict:
                return {}
            raise PanelError(400, "BadRequestHttpException", MALFORMED_JSON) from err
    elif content_type == "application/x-www-form-urlencoded":
        data = dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
    else:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(key): _clean(value) for key, value in data.items()}


def _size(value: Any) -> int:
    """Return the size Laravel's min rule measures for a value without a numeric rule."""
    if isinstance(value, (list, dict, str)):
        return len(value)
    if isinstance(value, bool):
        return 1 if value else 0
    return len(str(value))


def validate(spec: FlavorSpec, data: Mapping[str, Any], field: str, rules: list[str]) -> None:
    """Validate one field like Laravel; raise a 422 on failure (see validate_fields)."""
    validate_fields(spec, data, {field: rules})


def validate_fields(
    spec: FlavorSpec, data: Mapping[str, Any], fields: Mapping[str, list[str]]
) -> None:
    """Validate fields like Laravel (required and nullable stop a chain); raise one 422 for all.

    Every flavour ships its own validation.php with the Laravel 5 wording ("The :attribute must
    be a string.", "… must be at least :min characters.", "… may not be greater than :max
    characters.", "The :attribute field must be true or false."): pterodactyl/panel
    resources/lang/en/validation.php (v0.7.19, v1.11.8), pelican-dev/panel lang/en/validation.php.
    """
    entries = [
        (field, rule, detail)
        for field, rules in fields.items()
        for rule, detail in _failures(data.get(field), field, rules)
    ]
    if not entries:
        return
    if spec.is_legacy:
        # 0.7 Handler::invalidJson: the snake-cased rule as the code, no status and no meta.
        raise PanelError(
            422,
            "ValidationException",
            entries[0][2],
            raw={
                "errors": [
                    {"code": rule, "detail": detail, "source": {"field": field}}
                    for field, rule, detail in entries
                ]
            },
        )
    # One error entry per failed rule (Handler::invalidJson).
    first_field, first_rule, first_detail = entries[0]
    raise PanelError(
        422,
        "ValidationException",
        first_detail,
        meta={"source_field": first_field, "rule": first_rule},
        extra=[
            {
                "code": "ValidationException",
                "status": "422",
                "detail": detail,
                "meta": {"source_field": field, "rule": rule},
            }
            for field, rule, detail in entries[1:]
        ],
    )


def _failures(value: Any, field: str, rules: list[str]) -> list[tuple[str, str]]:
    """Return the (rule, message) pairs of the rules `value` fails."""
    entries: list[tuple[str, str]] = []
    subject = f"The {field}"
    for rule in rules:
        name, _, argument = rule.partition(":")
        if name == "required":
            if value is None or value in ([], {}):
                entries.append((name, f"The {field} field is required."))
                break
        elif name == "nullable":
            if value is None:
                break
        elif name == "string":
            if not isinstance(value, str):
                entries.append((name, f"{subject} must be a string."))
        elif name == "boolean":
            # validateBoolean: in_array($value, [true, false, 0, 1, '0', '1'], true).
            if not (isinstance(value, bool) or (type(value) is int and value in (0, 1))) and (
                value not in ("0", "1")
            ):
                entries.append((name, f"{subject} field must be true or false."))
        elif name == "min":
            if _size(value) < int(argument):
                entries.append((name, f"{subject} must be at least {argument} characters."))
        elif name == "max":
            if _size(value) > int(argument):
                entries.append((name, f"{subject} may not be greater than {argument} characters."))
        elif name == "in" and (not isinstance(value, str) or value not in argument.split(",")):
            entries.append((name, f"The selected {field} is invalid."))
    return entries
