"""The soak's memory check sets aside what Home Assistant keeps for deleted servers, only that."""

import tracemalloc

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

# The test harness ships no type information.
from pytest_homeassistant_custom_component.common import MockConfigEntry  # type: ignore[import-untyped]

from benchmarks.soak.memory import HA_RECORDS, TRACE_FRAMES, traced
from benchmarks.soak.results import Trend

DOMAIN = "pterodactyl"
KEYS = ("cpu", "memory", "disk", "state", "power")


async def test_records_of_deleted_servers_are_measured(hass: HomeAssistant) -> None:
    """Registry records of deleted devices and entities are traced as HA's; other memory is not."""
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    devices, entities = dr.async_get(hass), er.async_get(hass)
    assert not tracemalloc.is_tracing()
    tracemalloc.start(TRACE_FRAMES)
    try:
        before = tracemalloc.take_snapshot()
        for server in range(20):
            device = devices.async_get_or_create(
                config_entry_id=entry.entry_id, identifiers={(DOMAIN, f"server{server}")}
            )
            for key in KEYS:
                entities.async_get_or_create(
                    "sensor", DOMAIN, f"uuid{server}_{key}", config_entry=entry, device_id=device.id
                )
            devices.async_remove_device(device.id)
        # Memory of our own that the soak must keep checking.
        unrelated = [bytearray(1024) for _ in range(200)]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    assert len(entities.deleted_entities) == 20 * len(KEYS)
    records = traced(after, HA_RECORDS) - traced(before, HA_RECORDS)
    total = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    unrelated_bytes = sum(len(block) for block in unrelated)
    # About 2 KiB for each deleted entity (tombstone and copied fields); our 200 KiB is not.
    assert records > len(entities.deleted_entities) * 1024
    assert total - records >= unrelated_bytes


def test_memory_check_applies_to_what_is_not_set_aside() -> None:
    """Growth beyond the allowance fails, unless it is what Home Assistant keeps by design."""

    def trend(set_aside: float) -> Trend:
        return Trend("traced memory (MiB)", 40.0, 45.0, 46.0, 1.0, 2.0, set_aside)

    assert not trend(0.0).flat
    assert not trend(2.5).flat
    assert trend(3.0).flat
