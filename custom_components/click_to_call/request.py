"""The provider's request for a call: the fields made into a `DialRequest`.

Below the call coordinator: the action, the buttons, notify and voice hand
their fields to the coordinator, which builds the request here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import secrets
from typing import Any, Final

from .calls import CallRecord
from .const import (
    ATTR_ACKNOWLEDGE,
    ATTR_CALLER_ID,
    ATTR_CAMPAIGN,
    ATTR_EXTRA,
    ATTR_FROM,
    ATTR_LANGUAGE,
    ATTR_MESSAGE,
    ATTR_REPEAT,
    ATTR_RETRIES,
    ATTR_VOICE,
    ATTR_VOICEMAIL,
    NUMBER_FORMAT_PROVIDER,
)
from .errors import DialRefused, Refusal
from .phone import PhoneNumber, is_account_id, parse_number
from .providers.client import ProviderClient
from .providers.models import (
    Announcement,
    DialField,
    DialRequest,
    NumberFormat,
    Voicemail,
)
from .providers.text import safe_text

_DIAL_FIELDS = frozenset(DialField)
DEFAULT_REPEAT: Final = 2


@dataclass(slots=True)
class Numbers:
    """How an account reads and writes numbers."""

    client: ProviderClient[Any]
    # The home's country, the default region of numbers.
    country: str | None
    # The account's option: the provider's own format, or one chosen.
    number_format: str = NUMBER_FORMAT_PROVIDER

    @property
    def written(self) -> NumberFormat:
        """Return the format numbers are sent in."""
        if self.number_format == NUMBER_FORMAT_PROVIDER:
            return self.client.number_format
        return NumberFormat(self.number_format)

    def party(self, text: str) -> PhoneNumber:
        """Read a party: a phone number, or an account id where the provider has them."""
        if is_account_id(type(self.client), text, self.country):
            return PhoneNumber(text, text)
        return parse_number(text, self.country, self.written)


def build_request(
    numbers: Numbers,
    data: Mapping[str, Any],
    record: CallRecord,
    callback_url: str | None,
    announcement: Announcement | None = None,
    *,
    detect_machine: bool = False,
) -> DialRequest:
    """Turn the fields into the provider's request, or refuse them.

    The record's parties are set to the numbers in E.164 as they are read.
    Raises DialRefused.
    """
    client = numbers.client
    if unsupported := _DIAL_FIELDS.intersection(data) - client.supported_fields:
        raise DialRefused(
            Refusal.FIELD_NOT_SUPPORTED,
            field=min(unsupported),
            provider=client.title,
        )
    to = numbers.party(record.to)
    record.to = to.e164
    record.from_, from_ = _a_party(numbers, data)
    caller_id = data.get(ATTR_CALLER_ID)
    if caller_id is not None:
        caller_id = numbers.party(caller_id).formatted
    extra = data.get(ATTR_EXTRA)
    if extra and client.number_extras.intersection(extra):
        extra = {
            key: numbers.party(str(value)).formatted
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
        callback_url=callback_url,
        announcement=announcement,
        detect_machine=detect_machine,
    )


def _a_party(
    numbers: Numbers, data: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """Return party A as recorded (E.164) and as sent: the field, or the default."""
    client = numbers.client
    from_ = data.get(ATTR_FROM)
    if from_ is None and client.default_from is not None:
        from_ = getattr(client.config, client.default_from)
    if from_ is None or not client.from_is_number:
        return from_, from_  # none, or an agent's user id
    number = numbers.party(from_)
    return number.e164, number.formatted


def build_announcement(
    data: Mapping[str, Any], language: str, country: str | None
) -> Announcement:
    """Return what an announce call says, from the action's fields.

    The language defaults to Home Assistant's, with its country (en-IN).
    """
    if (spoken := data.get(ATTR_LANGUAGE)) is None:
        spoken = language if "-" in language or not country else f"{language}-{country}"
    return Announcement(
        message=safe_text(str(data[ATTR_MESSAGE])).strip(),
        acknowledge=data.get(ATTR_ACKNOWLEDGE, True),
        repeat=data.get(ATTR_REPEAT, DEFAULT_REPEAT),
        language=spoken,
        voice=data.get(ATTR_VOICE),
        voicemail=Voicemail(data.get(ATTR_VOICEMAIL, Voicemail.HANG_UP)),
        report_key=secrets.token_urlsafe(18),
    )
