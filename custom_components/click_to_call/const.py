"""Constants for Click to Call."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "click_to_call"
LOGGER = logging.getLogger(__package__)

EVENT_CALL_UPDATED: Final = "click_to_call_call_updated"
SERVICE_DIAL: Final = "dial"
SERVICE_ANNOUNCE: Final = "announce"

CONF_PROVIDER: Final = "provider"
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_VERIFY_SSL: Final = "verify_ssl"
# A secret in the callback URL, for providers that do not sign their callbacks.
CONF_CALLBACK_KEY: Final = "callback_key"

# Options: dial defaults, number format and the call guard.
CONF_NUMBER_FORMAT: Final = "number_format"
CONF_MAX_CALLS_PER_HOUR: Final = "max_calls_per_hour"
CONF_REPEAT_INTERVAL: Final = "repeat_interval"
CONF_DEFAULT_MAX_DURATION: Final = "default_max_duration"
CONF_VOICE_ANY_NUMBER: Final = "voice_any_number"
# Tell a voicemail from a person on a dial's B party (Twilio charges for it).
CONF_DETECT_VOICEMAIL: Final = "detect_voicemail"
NUMBER_FORMAT_PROVIDER: Final = "provider"
DEFAULT_MAX_CALLS_PER_HOUR: Final = 10
DEFAULT_REPEAT_INTERVAL: Final = 60
MAX_CALLS_PER_HOUR_LIMIT: Final = 1000

# Calls kept per entry: the newest finished ones (the history), and every call
# still open up to a safety cap (telSpiel's calls never report an end).
MAX_FINISHED_KEPT: Final = 100
MAX_ACTIVE_KEPT: Final = 1000

# Dial action fields.
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_TO: Final = "to"
ATTR_CONTACT: Final = "contact"
ATTR_FROM: Final = "from"
ATTR_CALLER_ID: Final = "caller_id"
ATTR_CAMPAIGN: Final = "campaign"
ATTR_MAX_DURATION: Final = "max_duration"
ATTR_RETRIES: Final = "retries"
ATTR_REFERENCE: Final = "reference"
ATTR_EXTRA: Final = "extra"

# Announce action fields (beside the dial's to, contact, caller_id,
# max_duration and reference).
ATTR_MESSAGE: Final = "message"
ATTR_ACKNOWLEDGE: Final = "acknowledge"
ATTR_REPEAT: Final = "repeat"
ATTR_LANGUAGE: Final = "language"
ATTR_VOICE: Final = "voice"
ATTR_VOICEMAIL: Final = "voicemail"
MAX_MESSAGE: Final = 1000
