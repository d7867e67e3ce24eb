"""The `click_to_call.dial` action."""

from __future__ import annotations

from collections.abc import Mapping
import time
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util.ulid import ulid_now

from .calls import CallRecord
from .const import (
    ATTR_CALLER_ID,
    ATTR_CAMPAIGN,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_EXTRA,
    ATTR_FROM,
    ATTR_MAX_DURATION,
    ATTR_REFERENCE,
    ATTR_RETRIES,
    ATTR_TO,
    CONF_DEFAULT_MAX_DURATION,
    CONF_MAX_CALLS_PER_HOUR,
    CONF_NUMBER_FORMAT,
    CONF_REPEAT_INTERVAL,
    CONF_WEBHOOK_ID,
    DEFAULT_MAX_CALLS_PER_HOUR,
    DEFAULT_REPEAT_INTERVAL,
    DOMAIN,
    NUMBER_FORMAT_PROVIDER,
    SERVICE_DIAL,
)
from .followup import async_await_outcome, async_follow_call
from .guard import CallGuardError
from .numbers import NumberError, PhoneNumber, parse_number
from .providers.base import (
    AuthenticationError,
    CallRefusedError,
    CallStatus,
    DialField,
    DialRequest,
    InvalidRequestError,
    NumberFormat,
    ProviderClient,
    ProviderError,
    ProviderUnavailableError,
)
from .runtime import ClickToCallConfigEntry, ClickToCallData
from .validation import vol
from .webhook import async_webhook_url

_TEXT = vol.All(cv.string, vol.Strip, vol.Length(min=1, max=128))
DIAL_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_TO): _TEXT,
        vol.Optional(ATTR_FROM): _TEXT,
        vol.Optional(ATTR_CALLER_ID): _TEXT,
        vol.Optional(ATTR_CAMPAIGN): _TEXT,
        vol.Optional(ATTR_MAX_DURATION): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=86400)
        ),
        vol.Optional(ATTR_RETRIES): vol.All(vol.Coerce(int), vol.Range(min=0, max=10)),
        vol.Optional(ATTR_REFERENCE): vol.All(cv.string, vol.Length(max=255)),
        vol.Optional(ATTR_EXTRA): vol.Schema(
            {cv.string: vol.Any(str, int, float, bool, None)}
        ),
    }
)

# The translation key of each provider error, most specific class first.
_PROVIDER_ERROR_KEYS: tuple[tuple[type[ProviderError], str], ...] = (
    (AuthenticationError, "provider_auth_failed"),
    (InvalidRequestError, "provider_invalid_request"),
    (CallRefusedError, "provider_refused"),
    (ProviderUnavailableError, "provider_unavailable"),
    (ProviderError, "provider_unexpected_answer"),
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""

    async def async_dial(call: ServiceCall) -> ServiceResponse:
        entry = _resolve_entry(hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
        return await async_place_call(hass, entry, call.data)

    hass.services.async_register(
        DOMAIN,
        SERVICE_DIAL,
        async_dial,
        schema=DIAL_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def _resolve_entry(hass: HomeAssistant, entry_id: str | None) -> ClickToCallConfigEntry:
    """Return the entry to dial with: the one named, or the only one loaded."""
    if entry_id is None:
        loaded = hass.config_entries.async_loaded_entries(DOMAIN)
        if len(loaded) != 1:
            raise _validation_error("entry_required", count=str(len(loaded)))
        return loaded[0]
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise _validation_error("entry_not_found", entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise _validation_error("entry_not_loaded", title=entry.title)
    return entry


async def async_place_call(
    hass: HomeAssistant, entry: ClickToCallConfigEntry, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Check, place and track one call; every attempt shows on the entities."""
    runtime = entry.runtime_data
    client = runtime.client
    record = CallRecord(
        call_id=ulid_now(),
        provider=client.provider,
        to=data[ATTR_TO],
        from_=data.get(ATTR_FROM),
        reference=data.get(ATTR_REFERENCE),
        status=CallStatus.REJECTED,
        created=time.time(),
        placed=False,
        max_duration=data.get(ATTR_MAX_DURATION)
        or entry.options.get(CONF_DEFAULT_MAX_DURATION),
    )
    try:
        request = _build_request(hass, entry, data, record)
        runtime.guard.check_and_record(
            record.to,
            record.created,
            entry.options.get(CONF_MAX_CALLS_PER_HOUR, DEFAULT_MAX_CALLS_PER_HOUR),
            entry.options.get(CONF_REPEAT_INTERVAL, DEFAULT_REPEAT_INTERVAL),
        )
    except CallGuardError as err:
        raise _refuse(entry, record, err.reason, limit=str(err.limit)) from err

    record.placed = True
    if client.answers_when_call_ends:
        # The answer is the outcome, which may take minutes: it comes later.
        record.status = CallStatus.INITIATED
        runtime.tracker.async_add(record)
        async_await_outcome(hass, entry, runtime, request)
        return _response(record)
    try:
        result = await client.async_dial(request)
    except ProviderError as err:
        record.status = err.status
        record.error = err.message
        _current(entry, runtime).tracker.async_add(record)
        if isinstance(err, AuthenticationError):
            entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=_provider_error_key(err),
            translation_placeholders={
                "provider": client.title,
                "message": err.message,
                "field": err.field or "-",
            },
        ) from err

    record.status = result.status
    record.provider_call_id = result.provider_call_id
    runtime = _current(entry, runtime)
    runtime.tracker.async_add(record)
    if client.poll_interval is not None and not runtime.tracker.closed:
        async_follow_call(hass, entry, runtime, record)
    return _response(record)


def _current(
    entry: ClickToCallConfigEntry, runtime: ClickToCallData
) -> ClickToCallData:
    """Return the entry's runtime after a wait: a reload may have replaced it."""
    return entry.runtime_data if entry.state is ConfigEntryState.LOADED else runtime


def _response(record: CallRecord) -> dict[str, Any]:
    return {
        "call_id": record.call_id,
        "status": record.status.value,
        "provider": record.provider,
        "provider_call_id": record.provider_call_id,
    }


def _provider_error_key(err: ProviderError) -> str:
    """Name the translated error: the precise reason, else the error's kind."""
    if err.reason is not None:
        return f"provider_{err.reason}"
    return next(key for kind, key in _PROVIDER_ERROR_KEYS if isinstance(err, kind))


def _build_request(
    hass: HomeAssistant,
    entry: ClickToCallConfigEntry,
    data: Mapping[str, Any],
    record: CallRecord,
) -> DialRequest:
    """Turn the action's fields into the provider's request, or refuse them."""
    client = entry.runtime_data.client
    for dial_field in DialField:
        if dial_field in data and dial_field not in client.supported_fields:
            raise _refuse(
                entry,
                record,
                "field_not_supported",
                field=dial_field.value,
                provider=client.title,
            )
    number_format = _number_format(entry, client)
    to = _party(hass, entry, record, record.to, number_format)
    record.to = to.e164
    from_ = data.get(ATTR_FROM)
    if from_ is None and client.default_from_key is not None:
        from_ = entry.data.get(client.default_from_key)
    record.from_ = from_
    if from_ is not None and client.from_is_number:
        formatted_from = _party(hass, entry, record, from_, number_format)
        record.from_ = formatted_from.e164
        from_ = formatted_from.formatted
    caller_id = data.get(ATTR_CALLER_ID)
    if caller_id is not None:
        caller_id = _party(hass, entry, record, caller_id, number_format).formatted
    callback_url = None
    if client.uses_callback_url:
        url = async_webhook_url(hass, entry.data[CONF_WEBHOOK_ID])
        callback_url = url if url.startswith(("http://", "https://")) else None
    request = DialRequest(
        call_id=record.call_id,
        to=to.formatted,
        from_=from_,
        caller_id=caller_id,
        campaign=data.get(ATTR_CAMPAIGN),
        max_duration=record.max_duration,
        retries=data.get(ATTR_RETRIES),
        extra=data.get(ATTR_EXTRA),
        callback_url=callback_url,
    )
    try:
        client.validate(request)
    except InvalidRequestError as err:
        raise _refuse(
            entry,
            record,
            err.reason or "invalid_field",
            field=err.field or "-",
            message=err.message,
        ) from err
    return request


def _party(
    hass: HomeAssistant,
    entry: ClickToCallConfigEntry,
    record: CallRecord,
    text: str,
    number_format: NumberFormat,
) -> PhoneNumber:
    """Read a party: a phone number, or an account id where the provider has them."""
    if entry.runtime_data.client.is_account_id(text):
        return PhoneNumber(text, text)
    try:
        return parse_number(text, hass.config.country, number_format)
    except NumberError as err:
        raise _refuse(entry, record, err.reason, number=text) from err


def _number_format(
    entry: ClickToCallConfigEntry, client: ProviderClient
) -> NumberFormat:
    chosen = entry.options.get(CONF_NUMBER_FORMAT, NUMBER_FORMAT_PROVIDER)
    return (
        client.number_format
        if chosen == NUMBER_FORMAT_PROVIDER
        else NumberFormat(chosen)
    )


def _refuse(
    entry: ClickToCallConfigEntry, record: CallRecord, key: str, **placeholders: str
) -> ServiceValidationError:
    """Record a refused attempt on the entities and return the error to raise."""
    err = _validation_error(key, **placeholders)
    record.status = CallStatus.REJECTED
    record.error = str(err)
    entry.runtime_data.tracker.async_add(record)
    return err


def _validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )
