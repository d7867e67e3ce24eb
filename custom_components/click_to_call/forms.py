"""The forms of the config flow, built from each provider's typed config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .compat import vol
from .contacts import CONF_ALIASES, CONF_FROM, CONF_NAME, CONF_NUMBER, CONF_REFERENCE
from .providers.client import ProviderClient
from .providers.models import DialField
from .providers.settings import Kind

_SELECTORS: Final[dict[Kind, Any]] = {
    Kind.TEXT: TextSelector(),
    Kind.SECRET: TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
    Kind.PHONE: TextSelector(TextSelectorConfig(type=TextSelectorType.TEL)),
    Kind.URL: TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
    Kind.BOOLEAN: BooleanSelector(),
}


def whole_number(low: int, high: int, unit: str | None = None) -> Any:
    """Return a number box that gives a whole number."""
    config = NumberSelectorConfig(
        min=low, max=high, step=1, mode=NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return vol.All(NumberSelector(config), vol.Coerce(int))


_SELECTORS[Kind.SECONDS] = whole_number(1, 86400, "s")


def settings_schema(
    client_class: type[ProviderClient[Any]], *, only_secrets: bool = False
) -> vol.Schema:
    """Build the provider's form (or, for reauthentication, its secrets)."""
    fields: dict[vol.Marker, Any] = {}
    for setting in client_class.config_class.settings():
        if only_secrets and setting.kind is not Kind.SECRET:
            continue
        if setting.required:
            marker: vol.Marker = vol.Required(setting.key)
        elif setting.default is not None:
            marker = vol.Optional(setting.key, default=setting.default)
        else:
            marker = vol.Optional(setting.key)
        fields[marker] = (
            _choice(setting.choices)
            if setting.choices is not None
            else _SELECTORS[setting.kind]
        )
    return vol.Schema(fields)


def _choice(choices: Mapping[str, str]) -> SelectSelector:
    """Return a drop-down of a setting's values (their labels are proper names)."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[
                SelectOptionDict(value=value, label=label)
                for value, label in choices.items()
            ],
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


def contact_schema(client_class: type[ProviderClient[Any]]) -> vol.Schema:
    """Build the form of a contact of an account at this provider."""
    fields: dict[vol.Marker, Any] = {
        vol.Required(CONF_NAME): _SELECTORS[Kind.TEXT],
        vol.Required(CONF_NUMBER): _SELECTORS[Kind.PHONE],
        vol.Optional(CONF_ALIASES): TextSelector(TextSelectorConfig(multiple=True)),
    }
    if DialField.FROM in client_class.supported_fields:
        # Party A: a phone, or for some providers an agent's user id.
        fields[vol.Optional(CONF_FROM)] = _SELECTORS[
            Kind.PHONE if client_class.from_is_number else Kind.TEXT
        ]
    fields[vol.Optional(CONF_REFERENCE)] = _SELECTORS[Kind.TEXT]
    return vol.Schema(fields)
