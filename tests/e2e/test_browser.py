"""Debian's headless chromium logs in, toggles a server on the dashboard and takes screenshots."""

import os
from pathlib import Path
import shutil

import aiohttp
from playwright.async_api import Locator, Page, async_playwright, expect
import pytest

from scripts.dashboard import BACKUPS_TITLE, DASHBOARD_URL, PLAYERS_TITLE, SCHEDULES_TITLE
from scripts.develop import REPO_ROOT
from scripts.provision import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tests.e2e.conftest import Stack
from tests.e2e.panel import read_state
from tests.e2e.test_home_assistant import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(240)]

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
# Set to 1 to refresh the README's screenshots from this run; otherwise they stay in tmp_path.
UPDATE_SCREENSHOTS = os.environ.get("PTERODACTYL_HA_SCREENSHOTS") == "1"
# As root, chromium needs --no-sandbox; the rest keeps it from calling home or updating itself.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The first load compiles the frontend's bundles in a cold browser: allow for a slow machine.
expect.set_options(timeout=30_000)
SERVER = "Valheim"  # offline at the start, and toggled by no other test


async def log_in(page: Page, stack: Stack) -> None:
    """Log in through Home Assistant's login page."""
    await page.goto(f"{stack.base_url}/{DASHBOARD_URL}")
    await page.get_by_role("textbox", name="Username").fill(DEFAULT_USERNAME)
    password = page.get_by_role("textbox", name="Password")
    await password.fill(DEFAULT_PASSWORD)
    await password.press("Enter")
    await page.wait_for_url(f"**/{DASHBOARD_URL}/**")


def server_card(page: Page, name: str) -> Locator:
    """Return a server's card: the entities card with a Power row (schedules name servers too)."""
    power = page.get_by_text("Power", exact=True)
    return page.locator("hui-entities-card", has=power).filter(has_text=name)


async def test_dashboard_toggles_a_server(stack: Stack, tmp_path: Path) -> None:
    """The dashboard shows every server, its players, backups and schedules; a toggle starts one."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"no {CHROMIUM}: scripts/setup installs it into the provisioned root")
        pytest.skip(f"no {CHROMIUM} (install Debian's chromium)")
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh profile every run
            executable_path=CHROMIUM,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 860},
        )
        page = context.pages[0] if context.pages else await context.new_page()
        try:
            await log_in(page, stack)
            for name in stack.servers:
                await expect(server_card(page, name)).to_be_visible()
            players = page.locator("hui-glance-card", has_text=PLAYERS_TITLE)
            backups = page.locator("hui-glance-card", has_text=BACKUPS_TITLE)
            for name in stack.servers:
                await expect(players.get_by_text(name, exact=True)).to_be_visible()
                await expect(backups.get_by_text(name, exact=True)).to_be_visible()
            schedules = page.locator("hui-entities-card", has_text=SCHEDULES_TITLE)
            await expect(schedules.get_by_text("Survival Run Nightly backup")).to_be_visible()
            card = server_card(page, SERVER)
            await expect(card.get_by_text("Offline")).to_be_visible()
            await page.screenshot(path=tmp_path / "before.png")

            await card.locator("ha-entity-toggle").first.click()
            async with aiohttp.ClientSession() as session:
                await eventually(
                    lambda: read_state(session, stack.panel_url),
                    lambda state: state[SERVER]["power"] == "running",
                )
            await expect(card.get_by_text("Running")).to_be_visible(timeout=30_000)
            await page.screenshot(path=tmp_path / "dashboard.png")

            await page.goto(f"{stack.base_url}/config/devices/device/{stack.device_ids[SERVER]}")
            await expect(page.get_by_text("Memory usage").first).to_be_visible()
            await page.wait_for_timeout(1000)  # let the cards finish rendering
            await page.screenshot(path=tmp_path / "device.png")
        except BaseException:
            await page.screenshot(path=tmp_path / "failure.png")
            raise
        finally:
            await context.close()
    for name in ("dashboard.png", "device.png"):
        assert (tmp_path / name).stat().st_size > 10_000  # a rendered page, not a blank one
        if UPDATE_SCREENSHOTS:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp_path / name, SCREENSHOTS / name)
