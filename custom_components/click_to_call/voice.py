"""Calls by voice: "call Mom" to Assist, and the dial intent that agents can use.

One answer serves every way a voice reaches us: the sentences of the built-in
agent (a conversation trigger, registered while an account is loaded), the
intent `ClickToCallDial` (a tool of the Assist API up to Home Assistant
2026.7) and, from 2026.8, the `llm.py` tool. Each dials through the
coordinator, so the guard and the number rules apply as for the action.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import CONF_PLATFORM
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, intent
from homeassistant.helpers.script import ScriptRunResult
from homeassistant.helpers.trigger import (
    async_initialize_triggers,
    async_validate_trigger_config,
)
from homeassistant.util.hass_dict import HassKey

from .calls import CallRecord
from .compat import vol
from .const import ATTR_TO, CONF_VOICE_ANY_NUMBER, DOMAIN, LOGGER
from .contacts import Contact, fold
from .providers.models import CallStatus

if TYPE_CHECKING:
    from .coordinator import ClickToCallConfigEntry

INTENT_DIAL: Final = "ClickToCallDial"
SLOT_CONTACT: Final = "contact"
SLOT_ACCOUNT: Final = "account"
# English only, as the integration's sentences are (Home Assistant does not
# load sentence files from custom integrations). With an account first: the
# matcher takes the first sentence that fits.
VERBS: Final = ("call", "phone", "ring", "dial")
SENTENCES: Final = [
    *(f"{verb} {{contact}} with {{account}}" for verb in VERBS),
    *(f"{verb} {{contact}}" for verb in VERBS),
]
# What a number said aloud looks like once written: digits, spaces, + ( ) -.
_SPOKEN_NUMBER = re.compile(r"\+?[\d\s().-]{5,}")
DATA_VOICE: HassKey[Voice] = HassKey(f"{DOMAIN}_voice")


@dataclass(frozen=True)
class VoiceAnswer:
    """What to say, and the call placed, if one was."""

    speech: str
    record: CallRecord | None = None


async def async_call_by_voice(
    hass: HomeAssistant, name: str, account: str | None = None
) -> VoiceAnswer:
    """Call a contact (or, where an account allows it, a number) by voice."""
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if account:
        entries = [entry for entry in entries if _is_named(entry.title, account)]
        if not entries:
            return VoiceAnswer(f"I don't know an account called {account}.")
    found = [
        (entry, contact)
        for entry in entries
        for contact in entry.runtime_data.contacts.values()
        if contact.is_called(name)
    ]
    if len(found) > 1:
        return VoiceAnswer(_which_account(name, [entry.title for entry, _ in found]))
    if found:
        entry, contact = found[0]
        return await _async_dial(entry, contact.name, {}, contact)
    if not _SPOKEN_NUMBER.fullmatch(name):
        return VoiceAnswer(f"I don't know anyone called {name}.")
    allowed = [entry for entry in entries if entry.options.get(CONF_VOICE_ANY_NUMBER)]
    if not allowed:
        return VoiceAnswer(
            "I only call your contacts by voice. To call any number, turn on "
            "numbers by voice in the account's options."
        )
    if len(allowed) > 1:
        return VoiceAnswer(_which_account(name, [entry.title for entry in allowed]))
    return await _async_dial(allowed[0], name, {ATTR_TO: name}, None)


async def _async_dial(
    entry: ClickToCallConfigEntry,
    who: str,
    data: dict[str, Any],
    contact: Contact | None,
) -> VoiceAnswer:
    try:
        record = await entry.runtime_data.async_dial(data, contact)
    except HomeAssistantError as err:
        reason = str(err).rstrip(".")
        return VoiceAnswer(f"I did not call {who}. {reason}.")
    if record.status is CallStatus.UNCONFIRMED:
        # Never "did not call": asked again, an agent would ring twice.
        provider = entry.runtime_data.client.title
        return VoiceAnswer(
            f"I may have called {who}: {provider} did not confirm the call. "
            "I will not place it again now.",
            record,
        )
    return VoiceAnswer(f"Calling {who}.", record)


def _is_named(title: str, said: str) -> bool:
    """Return whether an account is meant: its title, or the title's start."""
    return fold(title).startswith(fold(said))


def _which_account(name: str, titles: list[str]) -> str:
    return (
        f"More than one account can call {name}: {', '.join(sorted(titles))}. "
        f"Say, for example, call {name} with {sorted(titles)[0]}."
    )


def describe_contacts(hass: HomeAssistant) -> str:
    """Name the contacts an agent can call (for the tool's description)."""
    contacts = [
        contact
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
        for contact in entry.runtime_data.contacts.values()
    ]
    if not contacts:
        return "No contacts are set up yet."
    return "Contacts: " + "; ".join(
        contact.name
        + (f" (also {', '.join(contact.aliases)})" if contact.aliases else "")
        for contact in sorted(contacts, key=lambda contact: fold(contact.name))
    )


DESCRIPTION: Final = (
    "Places a phone call to one of the user's contacts, by name: the "
    "provider rings the user's phone, then the contact's, and bridges them. "
    "Give the contact's name; give the account only when told that more than "
    "one account knows the name."
)
SLOT_SCHEMA: Final = {
    vol.Required(SLOT_CONTACT): cv.string,
    vol.Optional(SLOT_ACCOUNT): cv.string,
}


class DialIntentHandler(intent.IntentHandler):
    """The intent `ClickToCallDial`: call a contact by name."""

    intent_type = INTENT_DIAL
    slot_schema = SLOT_SCHEMA

    def __init__(self, hass: HomeAssistant) -> None:
        """Keep Home Assistant, to describe the contacts it can call."""
        self._hass = hass

    @property
    def description(self) -> str:  # type: ignore[override]
        """Describe the intent, with the contacts of the accounts loaded now."""
        return f"{DESCRIPTION} {describe_contacts(self._hass)}"

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Place the call; a refusal is an error response, not an exception."""
        slots = self.async_validate_slots(intent_obj.slots)
        account = slots.get(SLOT_ACCOUNT)
        answer = await async_call_by_voice(
            intent_obj.hass,
            slots[SLOT_CONTACT]["value"],
            None if account is None else account["value"],
        )
        response = intent_obj.create_response()
        if answer.record is None:
            response.async_set_error(
                intent.IntentResponseErrorCode.FAILED_TO_HANDLE, answer.speech
            )
            return response
        response.async_set_speech(answer.speech)
        response.async_set_speech_slots(answer.record.as_response())
        return response


class Voice:
    """The integration's intent, and its sentences while an account is loaded."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Register the intent; sentences wait for an account."""
        self._hass = hass
        self._accounts = 0
        self._remove_sentences: CALLBACK_TYPE | None = None
        self.intent = DialIntentHandler(hass)
        intent.async_register(hass, self.intent)

    async def async_account_loaded(self) -> None:
        """Listen for the sentences (once), and describe the new contacts."""
        self._accounts += 1
        if self._accounts == 1 and "conversation" in self._hass.config.components:
            self._remove_sentences = await _async_listen(self._hass)

    @callback
    def async_account_unloaded(self) -> None:
        """Stop listening when the last account goes."""
        self._accounts -= 1
        if not self._accounts and self._remove_sentences is not None:
            self._remove_sentences()
            self._remove_sentences = None


async def _async_listen(hass: HomeAssistant) -> CALLBACK_TYPE | None:
    """Register the sentences with the built-in agent (a conversation trigger)."""
    config = await async_validate_trigger_config(
        hass, [{CONF_PLATFORM: "conversation", "command": SENTENCES}]
    )

    async def heard(
        run_variables: dict[str, Any], context: Context | None = None
    ) -> ScriptRunResult:
        slots = run_variables["trigger"]["slots"]
        answer = await async_call_by_voice(
            hass, slots[SLOT_CONTACT], slots.get(SLOT_ACCOUNT)
        )
        return ScriptRunResult(
            conversation_response=answer.speech, service_response=None, variables={}
        )

    def log(level: int, message: str, **kwargs: Any) -> None:
        LOGGER.log(level, "Voice sentences: %s", message, **kwargs)

    return await async_initialize_triggers(
        hass, config, heard, DOMAIN, "Click to Call by voice", log
    )


@callback
def async_get_voice(hass: HomeAssistant) -> Voice:
    """Return the integration's voice, made once."""
    if DATA_VOICE not in hass.data:
        hass.data[DATA_VOICE] = Voice(hass)
    return hass.data[DATA_VOICE]
