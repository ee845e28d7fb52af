"""docs/conformance.md stays true: every test it names exists."""

from pathlib import Path
import re

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "conformance.md"
# `tests/…/test_x.py::test_a`, or relative to tests/simulator: `test_x.py::test_a, ::test_b`
# (`TW` is tests/simulator/test_wings.py).
_FULL = re.compile(r"(tests/[\w/]+\.py)::(test_\w+)")
_RELATIVE = re.compile(r"(?<![/\w])(test_\w+\.py|TW)::(\w+)((?:, ::\w+)*)")


def _tests_in(path: Path) -> set[str]:
    """Return the names of the test functions defined in a test module."""
    return set(re.findall(r"^(?:async )?def (test_\w+)", path.read_text(), re.MULTILINE))


def _named_tests(text: str) -> set[tuple[str, str]]:
    """Return every (module, test) the document names."""
    named = {(path, test) for path, test in _FULL.findall(text)}
    for match in _RELATIVE.finditer(text):
        module = "test_wings.py" if match.group(1) == "TW" else match.group(1)
        for test in [match.group(2), *re.findall(r"::(\w+)", match.group(3))]:
            if test != "*":
                named.add((f"tests/simulator/{module}", test))
    return named


def test_every_named_test_exists() -> None:
    """A renamed or deleted test must not leave the conformance table pointing at nothing."""
    named = _named_tests(DOC.read_text())
    assert len(named) > 100
    missing = sorted(
        (module, test)
        for module, test in named
        if not (REPO_ROOT / module).exists() or test not in _tests_in(REPO_ROOT / module)
    )
    assert missing == []
