"""Phone numbers: read in the home's country, written as the provider wants."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
import re
from typing import Any

import phonenumbers

from .errors import DialRefused, Refusal
from .providers.client import ProviderClient
from .providers.models import NumberFormat
from .providers.settings import Kind

# An extension or dialling digits: pauses (",", "p", "w"), "#", "*", ";ext=",
# "ext.", "extension", "x 99".
_EXTENSION = re.compile(
    r"[,;#*]|\d\s*[pw]|(?<![a-z])(?:extension|ext|x)\.?\s*\d", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A valid number, in E.164 and in the provider's format."""

    e164: str
    formatted: str


# Automations dial the same few numbers again and again; parsing one costs
# about 0.1 ms, a cache hit well under a microsecond.
@lru_cache(maxsize=512)
def parse_number(
    text: str, country: str | None, number_format: NumberFormat
) -> PhoneNumber:
    """Parse a number as the user wrote it, with `country` as default region.

    Raises DialRefused for a number that cannot be dialled as written.
    """
    # "ext. 99", ";ext=99", ",,1234#": no provider here dials an extension,
    # and dropping it would call someone else's desk.
    if _EXTENSION.search(text):
        raise DialRefused(Refusal.NUMBER_HAS_EXTENSION, number=text)
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException as err:
        refusal = (
            Refusal.NUMBER_NEEDS_COUNTRY
            if err.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
            and country is None
            else Refusal.INVALID_NUMBER
        )
        raise DialRefused(refusal, number=text) from err
    if number.extension:
        raise DialRefused(Refusal.NUMBER_HAS_EXTENSION, number=text)
    if not phonenumbers.is_valid_number(number):
        raise DialRefused(Refusal.INVALID_NUMBER, number=text)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number_format is NumberFormat.E164:
        return PhoneNumber(e164, e164)
    if number_format is NumberFormat.DIGITS:
        return PhoneNumber(e164, e164[1:])
    if country is None or number.country_code != (
        phonenumbers.country_code_for_region(country)
    ):
        raise DialRefused(Refusal.NUMBER_NOT_NATIONAL, number=text)
    return PhoneNumber(e164, phonenumbers.national_significant_number(number))


def is_account_id(
    client_class: type[ProviderClient[Any]], text: str, country: str | None
) -> bool:
    """Return whether a party is an account id (Spokn's), not a phone number.

    Bare digits are an id only where they are not a valid phone number of the
    home country: 9876543210 in India is a phone, 1234567 a Spokn ID.
    """
    if not client_class.is_account_id(text):
        return False
    try:
        parse_number(text, country, NumberFormat.E164)
    except DialRefused:
        return True
    return False


def phone_settings(
    client_class: type[ProviderClient[Any]],
    data: Mapping[str, Any],
    country: str | None,
) -> Iterator[tuple[str, str]]:
    """Yield the settings that hold a phone number (not an account id)."""
    for setting in client_class.config_class.settings():
        value = data.get(setting.key)
        if (
            setting.kind is Kind.PHONE
            and isinstance(value, str)
            and not is_account_id(client_class, value, country)
        ):
            yield setting.key, value


def settings_as_sent(
    client_class: type[ProviderClient[Any]],
    data: Mapping[str, Any],
    country: str | None,
) -> dict[str, Any]:
    """Return the settings with each phone number as the provider writes it.

    Entries set up before numbers were stored that way hold them as typed.
    One that cannot be read stays as it is: the provider will say so.
    """
    sent = dict(data)
    for key, value in phone_settings(client_class, data, country):
        with suppress(DialRefused):
            sent[key] = parse_number(
                value, country, client_class.number_format
            ).formatted
    return sent


def load_region(country: str | None) -> None:
    """Load a region's number rules: phonenumbers imports them on first use.

    That import reads files; run this in the executor, not the event loop.
    """
    if country:
        phonenumbers.example_number(country)


def mask_number(number: str | None) -> str | None:
    """Hide all but the last two digits, for diagnostics."""
    if not number:
        return number
    return "*" * max(len(number) - 2, 0) + number[-2:]


def readable(number: str) -> str:
    """Return a number as people read it (+1 415-555-0100), else as it is."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(
        parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def account_title(client_class: type[ProviderClient[Any]], config: Any) -> str:
    """Return an account's title: the provider and the number calls come from.

    Else, the provider and the account's id there (TeleCMI 101_1111112).
    """
    if (number := client_class.called_from(config)) is not None:
        return f"{client_class.title} {readable(number)}"
    return f"{client_class.title} {client_class.account_of(config)}"
