"""The settings each provider's form asks for (the contract's field keys)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .providers import spokn, telecmi, telspiel
from .validation import vol

TEXT: Final = TextSelector()
SECRET: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
PHONE: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.TEL))
URL: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
BOOLEAN: Final = BooleanSelector()


def whole_number(low: int, high: int, unit: str | None = None) -> Any:
    """Return a number box that gives a whole number."""
    config = NumberSelectorConfig(
        min=low, max=high, step=1, mode=NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return vol.All(NumberSelector(config), vol.Coerce(int))


@dataclass(frozen=True, slots=True)
class Setting:
    """One field of a provider's form."""

    key: str
    selector: Any  # a selector, or a validator around one
    required: bool = True
    default: Any = None
    # Asked again on reauthentication; never shown in diagnostics.
    secret: bool = False
    # A phone number, checked as one.
    phone: bool = False


PROVIDER_SETTINGS: Final[dict[str, tuple[Setting, ...]]] = {
    "telspiel": (
        Setting("username", TEXT),
        Setting("api_key", SECRET, secret=True),
        Setting("agent_phone", PHONE, phone=True),
        Setting("campaign_name", TEXT, required=False),
        Setting("api_url", URL, required=False, default=telspiel.DEFAULT_API_URL),
    ),
    "telecmi": (
        Setting("user_id", TEXT),
        Setting("secret", SECRET, secret=True),
        Setting("webrtc", BOOLEAN, required=False, default=True),
        Setting("followme", BOOLEAN, required=False, default=False),
        Setting("api_url", URL, required=False, default=telecmi.DEFAULT_API_URL),
    ),
    "ameyo": (
        Setting("api_url", URL),
        Setting("hash_key", SECRET, secret=True),
        Setting("requesting_host", TEXT),
        Setting("policy_name", TEXT),
        Setting("campaign_id", TEXT),
        Setting("user_id", TEXT),
        Setting("verify_ssl", BOOLEAN, required=False, default=True),
    ),
    "voice_panel": (
        Setting("api_url", URL),
        Setting("uid", TEXT),
        Setting("pin", SECRET, secret=True),
        Setting("number1", PHONE, phone=True),
        Setting("holdfile", TEXT, required=False),
        Setting("duration", whole_number(1, 86400, "s"), required=False),
    ),
    "spokn": (
        Setting("username", TEXT),
        Setting("password", SECRET, secret=True),
        Setting("aparty", PHONE, phone=True),
        Setting("enterprise", BOOLEAN, required=False, default=False),
        Setting("api_url", URL, required=False, default=spokn.DEFAULT_API_URL),
    ),
}

SECRET_KEYS: Final = frozenset(
    setting.key
    for settings in PROVIDER_SETTINGS.values()
    for setting in settings
    if setting.secret
)


def settings_schema(provider: str, *, only_secrets: bool = False) -> vol.Schema:
    """Build the provider's form."""
    fields: dict[vol.Marker, Any] = {}
    for setting in PROVIDER_SETTINGS[provider]:
        if only_secrets and not setting.secret:
            continue
        if setting.required:
            marker: vol.Marker = vol.Required(setting.key)
        elif setting.default is not None:
            marker = vol.Optional(setting.key, default=setting.default)
        else:
            marker = vol.Optional(setting.key)
        fields[marker] = setting.selector
    return vol.Schema(fields)
