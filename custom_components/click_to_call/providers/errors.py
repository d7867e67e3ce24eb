"""The errors of the provider clients; each carries its translation key."""

from __future__ import annotations

from enum import StrEnum

from .models import CallStatus


class ErrorKey(StrEnum):
    """Every translation key a provider error can carry.

    Listed here, not built from strings, so that a test can check each one
    has a translated message (as an action error and as a form error).
    """

    AUTH_FAILED = "provider_auth_failed"
    INVALID_REQUEST = "provider_invalid_request"
    REFUSED = "provider_refused"
    UNAVAILABLE = "provider_unavailable"
    UNEXPECTED_ANSWER = "provider_unexpected_answer"
    CALL_ENDED = "provider_call_ended"
    # Before anything was sent.
    INVALID_SETTING = "provider_invalid_setting"
    ENTERPRISE_ONLY = "provider_enterprise_only"
    DURATION_MINUTES = "provider_duration_minutes"
    OUT_OF_RANGE = "provider_out_of_range"
    EXTRA_NOT_SUPPORTED = "provider_extra_not_supported"
    TOKEN_TOO_LONG = "provider_token_too_long"  # noqa: S105 - not a password
    NOT_DIGITS = "provider_not_digits"
    MESSAGE_TOO_LONG = "provider_message_too_long"
    CALLER_ID_REQUIRED = "provider_caller_id_required"
    # On the way.
    CONNECTION_LOST = "provider_connection_lost"
    ANSWER_TIMEOUT = "provider_answer_timeout"
    REDIRECTED = "provider_redirected"
    ANSWER_TOO_LARGE = "provider_answer_too_large"
    # What a provider said.
    NOT_FOUND = "provider_not_found"
    UNSUPPORTED_MEDIA_TYPE = "provider_unsupported_media_type"
    INVALID_INPUT = "provider_invalid_input"
    BAD_NUMBER = "provider_bad_number"
    CREDITS_UNAVAILABLE = "provider_credits_unavailable"
    DESTINATION_NOT_SUPPORTED = "provider_destination_not_supported"
    INSUFFICIENT_CREDIT = "provider_insufficient_credit"
    PANEL_REFUSED = "provider_panel_refused"
    AGENT_ON_BREAK = "provider_agent_on_break"
    AGENT_NOT_LOGGED_IN = "provider_agent_not_logged_in"
    AGENT_NO_ANSWER = "provider_agent_no_answer"
    CUSTOMER_NO_ANSWER = "provider_customer_no_answer"
    CHANNEL_UNAVAILABLE = "provider_channel_unavailable"
    ACCOUNT_NOT_FOUND = "provider_account_not_found"
    ACCOUNT_SUSPENDED = "provider_account_suspended"
    RATE_LIMITED = "provider_rate_limited"
    TWILIO_INVALID_NUMBER = "twilio_invalid_number"
    TWILIO_INVALID_FROM = "twilio_invalid_from"
    TWILIO_GEO_PERMISSION = "twilio_geo_permission"
    TWILIO_TRIAL_UNVERIFIED = "twilio_trial_unverified"
    EXOTEL_FORBIDDEN = "exotel_forbidden"


class ProviderError(Exception):
    """A dial or check that did not succeed; `status` is what the call becomes.

    `translation_key` names the translated message: the class's own, or a
    more precise one given where the error is raised.
    """

    status: CallStatus = CallStatus.FAILED
    translation_key: ErrorKey = ErrorKey.UNEXPECTED_ANSWER

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        translation_key: ErrorKey | None = None,
        status: CallStatus | None = None,
    ) -> None:
        """Keep the message, and where known the field at fault and the key."""
        message = message or "the provider gave no details"
        super().__init__(message)
        self.message = message
        self.field = field
        if translation_key is not None:
            self.translation_key = translation_key
        if status is not None:
            self.status = status


class AuthenticationError(ProviderError):
    """The provider does not accept the credentials."""

    status = CallStatus.REJECTED
    translation_key = ErrorKey.AUTH_FAILED


class InvalidRequestError(ProviderError):
    """The provider (or its documented limits) refuses a field of the request."""

    status = CallStatus.REJECTED
    translation_key = ErrorKey.INVALID_REQUEST


class NotSentError(InvalidRequestError):
    """A request refused before anything was sent: a limit or a setting."""


class CallRefusedError(ProviderError):
    """The provider refuses the call itself: credit, unsupported destination."""

    status = CallStatus.REJECTED
    translation_key = ErrorKey.REFUSED


class ProviderUnavailableError(ProviderError):
    """The provider could not be reached or failed on its side."""

    translation_key = ErrorKey.UNAVAILABLE


class AnswerLostError(ProviderUnavailableError):
    """The request was sent but its answer never came: the call may be ringing.

    Nothing is sent again (a phone must not ring twice); the call is
    `unconfirmed` until a report tells, or its maximum duration passes.
    """

    status = CallStatus.UNCONFIRMED
    translation_key = ErrorKey.CONNECTION_LOST


class CallEndedError(ProviderError):
    """The call was placed and ended without being connected (busy, no answer)."""

    translation_key = ErrorKey.CALL_ENDED


class UnexpectedAnswerError(ProviderError):
    """The provider answered something its documentation does not describe."""


class CallbackError(ValueError):
    """A callback body that does not say anything usable."""
