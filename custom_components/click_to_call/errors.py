"""Errors as Home Assistant shows them: every one with a translation key.

Two kinds: a dial refused before anything was sent (`DialRefused`, shown as
a `ServiceValidationError`), and a provider's error (carrying its own key,
shown as a `HomeAssistantError`). The config flow shows the same keys as form
errors.
"""

from __future__ import annotations

from enum import StrEnum

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .providers.errors import NotSentError, ProviderError


class Refusal(StrEnum):
    """Every reason Home Assistant's side refuses a dial for.

    Listed, not built from strings, so that a test can check each one has a
    translated message.
    """

    ENTRY_REQUIRED = "entry_required"
    ENTRY_NOT_FOUND = "entry_not_found"
    ENTRY_NOT_LOADED = "entry_not_loaded"
    CONTACT_NOT_FOUND = "contact_not_found"
    CONTACT_AMBIGUOUS = "contact_ambiguous"
    FIELD_NOT_SUPPORTED = "field_not_supported"
    INVALID_NUMBER = "invalid_number"
    NUMBER_NEEDS_COUNTRY = "number_needs_country"
    NUMBER_NOT_NATIONAL = "number_not_national"
    NUMBER_HAS_EXTENSION = "number_has_extension"
    CALL_GUARD_HOURLY = "call_guard_hourly"
    CALL_GUARD_REPEAT = "call_guard_repeat"
    ANNOUNCE_NOT_SUPPORTED = "announce_not_supported"
    ANNOUNCE_NEEDS_FLOW = "announce_needs_flow"
    MESSAGE_TOO_LONG = "message_too_long"


class DialRefused(Exception):
    """A dial refused before anything was sent."""

    def __init__(self, refusal: Refusal, **placeholders: str) -> None:
        """Keep the reason and its message's placeholders."""
        super().__init__(refusal.value)
        self.refusal = refusal
        self.placeholders = placeholders

    def as_service_error(self) -> ServiceValidationError:
        """Return the error the action raises."""
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=self.refusal.value,
            translation_placeholders=self.placeholders,
        )


def provider_error(title: str, err: ProviderError) -> HomeAssistantError:
    """Return the error the action raises for a provider's error."""
    kind = (
        ServiceValidationError if isinstance(err, NotSentError) else HomeAssistantError
    )
    return kind(
        translation_domain=DOMAIN,
        translation_key=err.translation_key.value,
        translation_placeholders=provider_placeholders(title, err),
    )


def provider_placeholders(title: str, err: ProviderError) -> dict[str, str]:
    """Return the placeholders of a provider error's message (and form error)."""
    return {"provider": title, "message": err.message, "field": err.field or "-"}
