"""Print what the installed Home Assistant needs to start as scripts/develop starts it.

scripts/setup --ha RELEASE runs `python -m scripts.ha_requirements` in that release's environment
and installs the requirements file it prints: `hass --skip-pip` installs nothing, so every
requirement of an integration it sets up must be there beforehand. The integrations are found as
Home Assistant's bootstrap finds them, from its own manifests, so each release gets its own pins.
"""

import json
from pathlib import Path
import re
import sys

from homeassistant import bootstrap, const
import homeassistant.components

from scripts.develop import CONFIGURATION_YAML, INTEGRATION_DIR

COMPONENTS = Path(homeassistant.components.__file__).parent
# Imported although not set up (only the Supervisor sets hassio up): analytics, a default
# integration, imports hassio's module at load, and with it hassio's requirement aiohasupervisor.
IMPORTED_ONLY = ("hassio",)


def configured_domains() -> set[str]:
    """Return the integrations configuration.yaml of scripts/develop sets up."""
    return set(re.findall(r"^([a-z_]+):", CONFIGURATION_YAML, re.MULTILINE))


def manifest(domain: str) -> dict[str, list[str]]:
    """Return a core integration's manifest."""
    result: dict[str, list[str]] = json.loads((COMPONENTS / domain / "manifest.json").read_text())
    return result


def requirements() -> list[str]:
    """Return the requirements of every integration set up, with their dependencies."""
    todo = [
        *configured_domains(),
        *bootstrap.CORE_INTEGRATIONS,
        *bootstrap.DEFAULT_INTEGRATIONS,
        *const.BASE_PLATFORMS,
        *IMPORTED_ONLY,
    ]
    seen: set[str] = set()
    own = json.loads((INTEGRATION_DIR / "manifest.json").read_text())
    found: set[str] = set(own["requirements"])
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        info = manifest(domain)
        found.update(info.get("requirements", ()))
        todo.extend(info.get("dependencies", ()))
    return sorted(found, key=str.lower)


def main() -> None:
    """Print a requirements file: the release's constraints, then one requirement a line."""
    constraints = COMPONENTS.parent / "package_constraints.txt"
    sys.stdout.write("".join(f"{line}\n" for line in (f"-c {constraints}", *requirements())))


if __name__ == "__main__":
    main()
