"""Text from outside, made safe where it enters."""

from __future__ import annotations

import re
from typing import Any

# Lone surrogates ("\ud800") decode from JSON escapes, UTF-7 and some codecs,
# but cannot be encoded as UTF-8: a state or a file holding one cannot be
# written. They become U+FFFD, the replacement character.
_SURROGATES = re.compile("[\ud800-\udfff]")
# Characters that have no place in a setting: a line break in a header
# value would end the header.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def safe_text(text: str) -> str:
    """Return text that can be encoded as UTF-8 (lone surrogates replaced)."""
    if text.isascii():
        return text  # the usual case, and the fast one
    return _SURROGATES.sub("\ufffd", text)


def safe_json(value: Any) -> Any:
    """Return a decoded JSON value with every text in it made safe."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(key): safe_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [safe_json(item) for item in value]
    return value


def has_control_characters(text: str) -> bool:
    """Return whether text holds a control character (a line break, say)."""
    return _CONTROL.search(text) is not None


def is_ascii_digits(text: str) -> bool:
    """Return whether text is ASCII digits only (str.isdigit also takes "²")."""
    return text.isascii() and text.isdigit()
