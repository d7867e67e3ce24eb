"""Phone numbers: read in the home's country, written as the provider wants."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from .providers.base import NumberFormat


class NumberError(ValueError):
    """A number that cannot be dialled; `reason` is a translation key."""

    def __init__(self, reason: str, number: str) -> None:
        """Keep the reason and the number as the user gave it."""
        super().__init__(reason)
        self.reason = reason
        self.number = number


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
    """Parse a number as the user wrote it, with `country` as default region."""
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException as err:
        reason = (
            "number_needs_country"
            if err.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
            and country is None
            else "invalid_number"
        )
        raise NumberError(reason, text) from err
    if not phonenumbers.is_valid_number(number):
        raise NumberError("invalid_number", text)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number_format is NumberFormat.E164:
        return PhoneNumber(e164, e164)
    if number_format is NumberFormat.DIGITS:
        return PhoneNumber(e164, e164[1:])
    if country is None or number.country_code != (
        phonenumbers.country_code_for_region(country)
    ):
        raise NumberError("number_not_national", text)
    return PhoneNumber(e164, phonenumbers.national_significant_number(number))


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
