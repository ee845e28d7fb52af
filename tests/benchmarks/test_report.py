"""docs/benchmarks.md holds two generated sections; each command rewrites its own only."""

from benchmarks.report import replace_section, section


def test_soak_section_replaced_in_place_and_kept() -> None:
    """The soak replaces its old section, leaving the comparison around it untouched."""
    comparison = "# Benchmark\n\nthe table\n"
    first = replace_section(comparison, "soak", "## Soak\n\nday one")
    assert first.startswith(comparison.rstrip())
    assert "day one" in first
    second = replace_section(first + "\ntail\n", "soak", "## Soak\n\nday two")
    assert "day one" not in second
    assert "day two" in second
    assert second.startswith(comparison.rstrip())
    assert second.endswith("<!-- /soak -->\n\ntail\n")
    # What scripts/bench keeps when it rewrites the comparison.
    kept = section(second, "soak")
    assert kept.startswith("<!-- soak -->")
    assert kept.rstrip().endswith("<!-- /soak -->")
    assert "day two" in kept
    assert section(comparison, "soak") == ""
    assert replace_section("", "soak", "body") == "<!-- soak -->\nbody\n<!-- /soak -->\n"
