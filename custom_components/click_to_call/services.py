"""The actions `click_to_call.dial` and `click_to_call.announce`: schemas, accounts.

Each resolves the account (and contact) and hands its fields to the call
coordinator, which builds the provider's request (`request.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv

from .compat import vol
from .const import (
    ATTR_ACKNOWLEDGE,
    ATTR_CALLER_ID,
    ATTR_CAMPAIGN,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_CONTACT,
    ATTR_EXTRA,
    ATTR_FROM,
    ATTR_LANGUAGE,
    ATTR_MAX_DURATION,
    ATTR_MESSAGE,
    ATTR_REFERENCE,
    ATTR_REPEAT,
    ATTR_RETRIES,
    ATTR_TO,
    ATTR_VOICE,
    ATTR_VOICEMAIL,
    DOMAIN,
    MAX_MESSAGE,
    SERVICE_ANNOUNCE,
    SERVICE_DIAL,
)
from .errors import DialRefused, Refusal
from .providers.models import Voicemail
from .providers.text import safe_text

if TYPE_CHECKING:
    from .contacts import Contact
    from .coordinator import ClickToCallConfigEntry


def _text(longest: int, *, strip: bool = True, shortest: int = 1) -> Any:
    """Return a validator of text from the action, made safe as it enters.

    A lone surrogate would make the state unserialisable. One function rather
    than a chain of validators: it runs on every dial.
    """

    def validate(value: Any) -> str:
        text = safe_text(cv.string(value))
        if strip:
            text = text.strip()
        if not shortest <= len(text) <= longest:
            raise vol.Invalid(f"length must be {shortest} to {longest} characters")
        return text

    return validate


_TEXT = _text(128)
_EXTRA_VALUE = vol.Any(
    vol.All(str, _text(256, strip=False, shortest=0)), int, float, bool, None
)
_ONE_PARTY = "give a number to call (to) or a contact, not both"
# BCP 47 as providers take it: en, en-IN, cmn-Hans-CN.
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}")
_PARTY: dict[vol.Marker, Any] = {
    vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    vol.Exclusive(ATTR_TO, "party", msg=_ONE_PARTY): _TEXT,
    vol.Exclusive(ATTR_CONTACT, "party", msg=_ONE_PARTY): _TEXT,
    vol.Optional(ATTR_CALLER_ID): _TEXT,
    vol.Optional(ATTR_MAX_DURATION): vol.All(
        vol.Coerce(int), vol.Range(min=1, max=86400)
    ),
    vol.Optional(ATTR_REFERENCE): _text(255, strip=False, shortest=0),
}
DIAL_SCHEMA = vol.All(
    cv.has_at_least_one_key(ATTR_TO, ATTR_CONTACT),
    vol.Schema(
        {
            **_PARTY,
            vol.Optional(ATTR_FROM): _TEXT,
            vol.Optional(ATTR_CAMPAIGN): _TEXT,
            vol.Optional(ATTR_RETRIES): vol.All(
                vol.Coerce(int), vol.Range(min=0, max=10)
            ),
            vol.Optional(ATTR_EXTRA): vol.All(
                vol.Schema({vol.All(_TEXT, vol.Length(max=64)): _EXTRA_VALUE}),
                vol.Length(max=20),
            ),
        }
    ),
)


# What a dial usually holds: a number or a contact, and maybe its account.
_PLAIN_DIAL: Final = {
    ATTR_TO: _TEXT,
    ATTR_CONTACT: _TEXT,
    ATTR_CONFIG_ENTRY_ID: cv.string,
}


def _dial_schema() -> Any:
    """Return DIAL_SCHEMA, compiled, that checks a plain dial without its walk.

    A dial of a number or a contact alone (with its account, if named) is
    checked by the same validators directly: voluptuous's walk over every
    marker of the schema is most of the action's cost on 2025.4 (3.2 of 3.5
    us). The result is the schema's own; any other dial, and any error,
    goes through the schema (and its messages).
    """
    full = vol.Schema(DIAL_SCHEMA)

    def validate(data: Any) -> Any:
        if (
            type(data) is dict
            and data.keys() <= _PLAIN_DIAL.keys()
            and (ATTR_TO in data) is not (ATTR_CONTACT in data)
        ):
            try:
                return {key: _PLAIN_DIAL[key](value) for key, value in data.items()}
            except vol.Invalid:
                pass
        return full(data)

    return vol.Schema(validate)


def _language(value: Any) -> str:
    text = cv.string(value).strip()
    if not _LANGUAGE.fullmatch(text):
        raise vol.Invalid("a language such as en-IN (BCP 47)")
    return text


ANNOUNCE_SCHEMA = vol.All(
    cv.has_at_least_one_key(ATTR_TO, ATTR_CONTACT),
    vol.Schema(
        {
            **_PARTY,
            vol.Required(ATTR_MESSAGE): _text(MAX_MESSAGE),
            vol.Optional(ATTR_ACKNOWLEDGE, default=True): cv.boolean,
            vol.Optional(ATTR_REPEAT, default=2): vol.All(
                vol.Coerce(int), vol.Range(min=1, max=5)
            ),
            vol.Optional(ATTR_LANGUAGE): _language,
            vol.Optional(ATTR_VOICE): vol.All(_TEXT, vol.Length(max=64)),
            vol.Optional(ATTR_VOICEMAIL, default=Voicemail.HANG_UP): vol.In(
                [mode.value for mode in Voicemail]
            ),
        }
    ),
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""

    async def async_dial(call: ServiceCall) -> ServiceResponse:
        entry, contact = _resolve(hass, call.data)
        record = await entry.runtime_data.async_dial(call.data, contact)
        return record.as_response()

    async def async_announce(call: ServiceCall) -> ServiceResponse:
        entry, contact = _resolve(hass, call.data)
        record = await entry.runtime_data.async_announce(call.data, contact)
        return record.as_response()

    # Compiled once as a vol.Schema: voluptuous compiles a bare vol.All's
    # validators again on every call (about 20 µs of a dial on 2025.4).
    hass.services.async_register(
        DOMAIN,
        SERVICE_DIAL,
        async_dial,
        schema=_dial_schema(),
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ANNOUNCE,
        async_announce,
        schema=vol.Schema(ANNOUNCE_SCHEMA),
        supports_response=SupportsResponse.OPTIONAL,
    )


def _resolve(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> tuple[ClickToCallConfigEntry, Contact | None]:
    """Return the entry to dial with, and the contact named, if one is.

    A contact is looked for in the account named, else in every loaded one;
    a name that two accounts know needs the account.
    """
    entry_id = data.get(ATTR_CONFIG_ENTRY_ID)
    if (name := data.get(ATTR_CONTACT)) is None:
        return _resolve_entry(hass, entry_id), None
    entries = (
        [_resolve_entry(hass, entry_id)]
        if entry_id is not None
        else hass.config_entries.async_loaded_entries(DOMAIN)
    )
    found = [
        (entry, contact)
        for entry in entries
        for contact in entry.runtime_data.contacts.values()
        if contact.is_called(name)
    ]
    if not found:
        raise DialRefused(Refusal.CONTACT_NOT_FOUND, contact=name).as_service_error()
    if len(found) > 1:
        raise DialRefused(
            Refusal.CONTACT_AMBIGUOUS,
            contact=name,
            accounts=", ".join(sorted(entry.title for entry, _ in found)),
        ).as_service_error()
    return found[0]


def _resolve_entry(hass: HomeAssistant, entry_id: str | None) -> ClickToCallConfigEntry:
    """Return the entry to dial with: the one named, or the only one loaded."""
    if entry_id is None:
        loaded = hass.config_entries.async_loaded_entries(DOMAIN)
        if len(loaded) != 1:
            raise DialRefused(
                Refusal.ENTRY_REQUIRED, count=str(len(loaded))
            ).as_service_error()
        return loaded[0]
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise DialRefused(Refusal.ENTRY_NOT_FOUND, entry_id=entry_id).as_service_error()
    if entry.state is not ConfigEntryState.LOADED:
        raise DialRefused(
            Refusal.ENTRY_NOT_LOADED, title=entry.title
        ).as_service_error()
    return entry
