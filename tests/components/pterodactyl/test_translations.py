"""Tests of the translation files: every language has every English string and placeholder."""

from collections.abc import Iterator
import json
from pathlib import Path
import re
import string
from typing import Any

import pytest

from custom_components.pterodactyl.const import DOMAIN

TRANSLATIONS = Path(__file__).parents[3] / "custom_components" / DOMAIN / "translations"
ENGLISH = TRANSLATIONS / "en.json"
# Languages a user of Home Assistant core's own pterodactyl integration most likely reads.
REQUIRED = {"de", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt-BR", "ru", "zh-Hans", "zh-Hant"}
FILES = sorted(TRANSLATIONS.glob("*.json"))
OTHERS = [path for path in FILES if path != ENGLISH]
CODE = re.compile(r"`[^`]*`")
LINK = re.compile(r"\]\(\{\w+\}\)")


def _load(path: Path) -> dict[str, Any]:
    """Load one translation file."""
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _strings(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield each leaf of a translation tree under its dotted key."""
    for key, value in tree.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from _strings(value, dotted)
        else:
            yield dotted, value


def _keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    """Return every dotted key of a translation tree, inner nodes included."""
    keys: set[str] = set()
    for key, value in tree.items():
        dotted = f"{prefix}.{key}" if prefix else key
        keys.add(dotted)
        if isinstance(value, dict):
            keys |= _keys(value, dotted)
    return keys


def _fields(message: str) -> set[str]:
    """Return the placeholder names a message uses."""
    return {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}


def test_required_languages_are_present() -> None:
    """Every language that core's integration ships to these users has a file here."""
    missing = REQUIRED - {path.stem for path in OTHERS}
    assert not missing, f"no translation for: {sorted(missing)}"


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_file_is_formatted_json(path: Path) -> None:
    """Each file is valid JSON with 2-space indent, literal non-ASCII and a final newline."""
    text = path.read_text("utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_no_empty_strings(path: Path) -> None:
    """Every leaf is a non-blank string."""
    bad = [key for key, value in _strings(_load(path)) if not isinstance(value, str)]
    assert not bad, f"not a string: {bad}"
    empty = [key for key, value in _strings(_load(path)) if not value.strip()]
    assert not empty, f"empty: {empty}"


@pytest.mark.parametrize("path", OTHERS, ids=lambda path: path.stem)
def test_same_keys_as_english(path: Path) -> None:
    """A translation has exactly the keys of en.json, none missing and none extra."""
    english = _keys(_load(ENGLISH))
    translated = _keys(_load(path))
    assert (sorted(english - translated), sorted(translated - english)) == ([], []), (
        "(missing, extra) keys"
    )


@pytest.mark.parametrize("path", OTHERS, ids=lambda path: path.stem)
def test_same_placeholders_as_english(path: Path) -> None:
    """A translation may reword a string but must not drop, rename or invent a placeholder."""
    translated = dict(_strings(_load(path)))
    wrong = {
        key: (sorted(_fields(message)), sorted(_fields(translated[key])))
        for key, message in _strings(_load(ENGLISH))
        if key in translated and _fields(message) != _fields(translated[key])
    }
    assert not wrong, f"placeholders (English, translated): {wrong}"


@pytest.mark.parametrize("path", OTHERS, ids=lambda path: path.stem)
def test_key_references_kept(path: Path) -> None:
    """A Home Assistant [%key:...%] reference in English stays as it is in the translation."""
    translated = dict(_strings(_load(path)))
    changed = [
        key
        for key, message in _strings(_load(ENGLISH))
        if message.startswith("[%key:") and translated.get(key) != message
    ]
    assert not changed, f"changed key references: {changed}"


@pytest.mark.parametrize("path", OTHERS, ids=lambda path: path.stem)
def test_code_and_links_kept(path: Path) -> None:
    """Code spans (paths, config keys) stay verbatim; links and bold survive the translation."""
    translated = dict(_strings(_load(path)))
    wrong = [
        key
        for key, message in _strings(_load(ENGLISH))
        if key in translated
        and (
            sorted(CODE.findall(message)) != sorted(CODE.findall(translated[key]))
            or sorted(LINK.findall(message)) != sorted(LINK.findall(translated[key]))
            or message.count("**") != translated[key].count("**")
        )
    ]
    assert not wrong, f"markdown changed: {wrong}"
