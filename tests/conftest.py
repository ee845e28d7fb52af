"""Ordering for parallel runs: the longest tests start first, so no worker waits at the end."""

import pytest

# Tests that take a minute or more alone; started first, the other workers share the rest.
LONGEST = ("tests/benchmarks/test_soak.py::test_soak_simulated_hour",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the longest tests first (pytest-xdist hands tests out in this order)."""
    items.sort(key=lambda item: item.nodeid not in LONGEST)
