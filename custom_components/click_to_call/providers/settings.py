"""Each provider's settings, declared once as a typed config.

A provider's config is a frozen dataclass whose fields are its settings: the
field name is the contract's key, `setting()` gives its kind and default. The
client reads it typed; Home Assistant builds the forms from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from enum import StrEnum
from typing import Any, Self

from .text import has_control_characters


class Kind(StrEnum):
    """What a setting holds, and so how it is asked for and shown."""

    TEXT = "text"
    # Asked again on reauthentication; never shown in diagnostics.
    SECRET = "secret"  # noqa: S105 - not a password
    # A phone number (or an account id where the provider has them).
    PHONE = "phone"
    URL = "url"
    BOOLEAN = "boolean"
    SECONDS = "seconds"
    # One of the values in `choices` (value → label).
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting as a form shows it."""

    key: str
    kind: Kind
    required: bool
    default: Any = None
    choices: Mapping[str, str] | None = None


def setting(
    kind: Kind, default: Any = MISSING, *, choices: Mapping[str, str] | None = None
) -> Any:
    """Declare a config field: its kind, and a default where it is optional.

    A CHOICE names its values and their labels.
    """
    return field(default=default, metadata={"kind": kind, "choices": choices})


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderConfig:
    """The base of every provider's config."""

    @classmethod
    def settings(cls) -> tuple[Setting, ...]:
        """Return the settings in the order the form asks for them."""
        return tuple(_setting(config_field) for config_field in fields(cls))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """Read the config from an entry's data (other keys are ignored)."""
        return cls(
            **{
                config_field.name: data[config_field.name]
                for config_field in fields(cls)
                if data.get(config_field.name) is not None
            }
        )

    def setting_with_control_characters(self) -> str | None:
        """Return the first setting holding a control character, if any.

        A line break in a value sent as a header would end the header.
        """
        for config_field in fields(self):
            value = getattr(self, config_field.name)
            if isinstance(value, str) and has_control_characters(value):
                return config_field.name
        return None


def _setting(config_field: Field[Any]) -> Setting:
    required = config_field.default is MISSING
    return Setting(
        config_field.name,
        config_field.metadata["kind"],
        required,
        None if required else config_field.default,
        config_field.metadata["choices"],
    )
