"""The `click_to_call.dial` action: its schema, the account it uses, its request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv

from .calls import CallRecord
from .compat import vol
from .const import (
    ATTR_CALLER_ID,
    ATTR_CAMPAIGN,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_CONTACT,
    ATTR_EXTRA,
    ATTR_FROM,
    ATTR_MAX_DURATION,
    ATTR_REFERENCE,
    ATTR_RETRIES,
    ATTR_TO,
    CONF_CALLBACK_KEY,
    CONF_NUMBER_FORMAT,
    DOMAIN,
    NUMBER_FORMAT_PROVIDER,
    SERVICE_DIAL,
)
from .errors import DialRefused, Refusal
from .phone import PhoneNumber, is_account_id, parse_number
from .providers.models import DialField, DialRequest, NumberFormat, Outcome
from .providers.text import safe_text

if TYPE_CHECKING:
    from .contacts import Contact
    from .coordinator import CallCoordinator, ClickToCallConfigEntry


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
_DIAL_FIELDS = frozenset(DialField)
_ONE_PARTY = "give a number to call (to) or a contact, not both"
DIAL_SCHEMA = vol.All(
    cv.has_at_least_one_key(ATTR_TO, ATTR_CONTACT),
    vol.Schema(
        {
            vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
            vol.Exclusive(ATTR_TO, "party", msg=_ONE_PARTY): _TEXT,
            vol.Exclusive(ATTR_CONTACT, "party", msg=_ONE_PARTY): _TEXT,
            vol.Optional(ATTR_FROM): _TEXT,
            vol.Optional(ATTR_CALLER_ID): _TEXT,
            vol.Optional(ATTR_CAMPAIGN): _TEXT,
            vol.Optional(ATTR_MAX_DURATION): vol.All(
                vol.Coerce(int), vol.Range(min=1, max=86400)
            ),
            vol.Optional(ATTR_RETRIES): vol.All(
                vol.Coerce(int), vol.Range(min=0, max=10)
            ),
            vol.Optional(ATTR_REFERENCE): _text(255, strip=False, shortest=0),
            vol.Optional(ATTR_EXTRA): vol.All(
                vol.Schema({vol.All(_TEXT, vol.Length(max=64)): _EXTRA_VALUE}),
                vol.Length(max=20),
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

    hass.services.async_register(
        DOMAIN,
        SERVICE_DIAL,
        async_dial,
        schema=DIAL_SCHEMA,
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


def build_request(
    coordinator: CallCoordinator, data: Mapping[str, Any], record: CallRecord
) -> DialRequest:
    """Turn the action's fields into the provider's request, or refuse them.

    The record's parties are set to the numbers in E.164 as they are read.
    Raises DialRefused.
    """
    client = coordinator.client
    if unsupported := _DIAL_FIELDS.intersection(data) - client.supported_fields:
        raise DialRefused(
            Refusal.FIELD_NOT_SUPPORTED,
            field=min(unsupported),
            provider=client.title,
        )
    number_format = _number_format(coordinator)
    to = _party(coordinator, record.to, number_format)
    record.to = to.e164
    record.from_, from_ = _a_party(coordinator, data, number_format)
    caller_id = data.get(ATTR_CALLER_ID)
    if caller_id is not None:
        caller_id = _party(coordinator, caller_id, number_format).formatted
    extra = data.get(ATTR_EXTRA)
    if extra and client.number_extras.intersection(extra):
        extra = {
            key: _party(coordinator, str(value), number_format).formatted
            if key in client.number_extras
            else value
            for key, value in extra.items()
        }
    return DialRequest(
        call_id=record.call_id,
        to=to.formatted,
        from_=from_,
        caller_id=caller_id,
        campaign=data.get(ATTR_CAMPAIGN),
        max_duration=record.max_duration,
        retries=data.get(ATTR_RETRIES),
        extra=extra,
        callback_url=_callback_url(coordinator),
    )


def _a_party(
    coordinator: CallCoordinator, data: Mapping[str, Any], number_format: NumberFormat
) -> tuple[str | None, str | None]:
    """Return party A as recorded (E.164) and as sent: the field, or the default."""
    client = coordinator.client
    from_ = data.get(ATTR_FROM)
    if from_ is None and client.default_from is not None:
        from_ = getattr(client.config, client.default_from)
    if from_ is None or not client.from_is_number:
        return from_, from_  # none, or an agent's user id
    number = _party(coordinator, from_, number_format)
    return number.e164, number.formatted


def _party(
    coordinator: CallCoordinator, text: str, number_format: NumberFormat
) -> PhoneNumber:
    """Read a party: a phone number, or an account id where the provider has them."""
    country = coordinator.hass.config.country
    if is_account_id(type(coordinator.client), text, country):
        return PhoneNumber(text, text)
    return parse_number(text, country, number_format)


def _number_format(coordinator: CallCoordinator) -> NumberFormat:
    chosen = coordinator.entry.options.get(CONF_NUMBER_FORMAT, NUMBER_FORMAT_PROVIDER)
    return (
        coordinator.client.number_format
        if chosen == NUMBER_FORMAT_PROVIDER
        else NumberFormat(chosen)
    )


def _callback_url(coordinator: CallCoordinator) -> str | None:
    """Return the webhook's full URL for providers that report to it.

    With the entry's key in the query for providers that do not sign their
    callbacks; None while Home Assistant has no URL a provider could reach.
    """
    client = coordinator.client
    if client.outcome is not Outcome.WEBHOOK:
        return None
    if not coordinator.on_internet:
        # An address may have come up with no event to say so (remote access
        # connecting): a call must not leave without one that exists.
        coordinator.async_refresh_webhook_url()
    url = coordinator.webhook_url
    if not url.startswith(("http://", "https://")):
        return None
    if client.callback_key:
        key = coordinator.entry.data.get(CONF_CALLBACK_KEY, "")
        url = f"{url}?{urlencode({'key': key})}"
    return url
