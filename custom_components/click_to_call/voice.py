"""Calls by voice: "call Mom", "tell Mom dinner is ready", and the intents agents use.

One answer serves every way a voice reaches us: the sentences of the built-in
agent (one conversation trigger, registered while an account is loaded), the
intents `ClickToCallDial` and `ClickToCallAnnounce` (tools of the Assist API
up to Home Assistant 2026.7) and, from 2026.8, the `llm.py` tools. Each calls
through the coordinator, so the guard and the number rules apply as for the
actions. Announcements go to contacts only, never to a number said aloud.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
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
from .const import ATTR_MESSAGE, ATTR_TO, CONF_VOICE_ANY_NUMBER, DOMAIN, LOGGER
from .contacts import Contact, fold
from .errors import DialRefused
from .phone import parse_number
from .providers.models import CallStatus, NumberFormat

if TYPE_CHECKING:
    from .coordinator import ClickToCallConfigEntry

INTENT_DIAL: Final = "ClickToCallDial"
INTENT_ANNOUNCE: Final = "ClickToCallAnnounce"
SLOT_CONTACT: Final = "contact"
SLOT_ACCOUNT: Final = "account"
SLOT_MESSAGE: Final = "message"
# "call Mom and say dinner is ready": heard by the dial sentences too.
_AND_SAY: Final = re.compile(r"\s+and\s+say\s+", re.IGNORECASE)
# Names that can stand in a sentence as they are: words, spaces, inner
# apostrophes and hyphens (no template syntax, no punctuation).
_SAYABLE: Final = re.compile(r"[^\W_](?:[\w' -]*[^\W_])?")
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
    """Call a contact (or, where an account allows it, a number) by voice.

    "Mom and say dinner is ready" is an announcement to Mom.
    """
    if len(parts := _AND_SAY.split(name, maxsplit=1)) == 2:
        return await async_announce_by_voice(hass, parts[0], parts[1], account)
    found = _find(hass, name, account)
    if isinstance(found, VoiceAnswer):
        return found
    entries, pairs = found
    if not pairs and _SPOKEN_NUMBER.fullmatch(name):
        # A contact's number said aloud is that contact.
        pairs = _with_number(hass, entries, name)
        if len(pairs) > 1:
            return VoiceAnswer(_which_account(name, [entry for entry, _ in pairs]))
    if pairs:
        entry, contact = pairs[0]
        return await _async_call(entry, contact.name, {}, contact, None)
    if not _SPOKEN_NUMBER.fullmatch(name):
        return VoiceAnswer(f"I don't know anyone called {name}.")
    allowed = [entry for entry in entries if entry.options.get(CONF_VOICE_ANY_NUMBER)]
    if not allowed:
        return VoiceAnswer(
            "I only call your contacts by voice. To call any number, turn on "
            "numbers by voice in the account's options."
        )
    if len(allowed) > 1:
        return VoiceAnswer(_which_account(name, allowed))
    return await _async_call(allowed[0], name, {ATTR_TO: name}, None, None)


async def async_announce_by_voice(
    hass: HomeAssistant, name: str, message: str, account: str | None = None
) -> VoiceAnswer:
    """Call a contact and speak a message, asking them to press 1."""
    message = message.strip()
    if not message:
        return VoiceAnswer(f"What should I say to {name}?")
    found = _find(hass, name, account)
    if isinstance(found, VoiceAnswer):
        return found
    _, pairs = found
    if not pairs:
        return VoiceAnswer(f"I don't know anyone called {name}.")
    entry, contact = pairs[0]
    return await _async_call(
        entry, contact.name, {ATTR_MESSAGE: message}, contact, message
    )


def _find(
    hass: HomeAssistant, name: str, account: str | None
) -> (
    tuple[list[ClickToCallConfigEntry], list[tuple[ClickToCallConfigEntry, Contact]]]
    | VoiceAnswer
):
    """Find the accounts asked for, and the contact they know by that name.

    A name two accounts know is a question back.
    """
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if account:
        entries = [entry for entry in entries if _is_named(entry, account)]
        if not entries:
            return VoiceAnswer(f"I don't know an account called {account}.")
    pairs = [
        (entry, contact)
        for entry in entries
        for contact in entry.runtime_data.contacts.values()
        if contact.is_called(name)
    ]
    if len(pairs) > 1:
        return VoiceAnswer(_which_account(name, [entry for entry, _ in pairs]))
    return entries, pairs


def _with_number(
    hass: HomeAssistant, entries: list[ClickToCallConfigEntry], said: str
) -> list[tuple[ClickToCallConfigEntry, Contact]]:
    """Return the contacts whose number is the one said aloud."""
    country = hass.config.country
    number = _e164(said, country)
    return [
        (entry, contact)
        for entry in entries
        for contact in entry.runtime_data.contacts.values()
        if number is not None and _e164(contact.number, country) == number
    ]


def _e164(text: str, country: str | None) -> str | None:
    try:
        return parse_number(text, country, NumberFormat.E164).e164
    except DialRefused:
        return None


async def _async_call(
    entry: ClickToCallConfigEntry,
    who: str,
    data: dict[str, Any],
    contact: Contact | None,
    message: str | None,
) -> VoiceAnswer:
    """Dial, or announce a message; say what became of it."""
    coordinator = entry.runtime_data
    try:
        if message is None:
            record = await coordinator.async_dial(data, contact)
        else:
            record = await coordinator.async_announce(data, contact)
    except HomeAssistantError as err:
        reason = str(err).rstrip(".")
        return VoiceAnswer(f"I did not call {who}. {reason}.")
    if record.status is CallStatus.UNCONFIRMED:
        # Never "did not call": asked again, an agent would ring twice.
        return VoiceAnswer(
            f"I may have called {who}: {coordinator.client.title} did not "
            "confirm the call. I will not place it again now.",
            record,
        )
    if message is None:
        return VoiceAnswer(f"Calling {who}.", record)
    return VoiceAnswer(f"Calling {who} to say: {message}", record)


def _is_named(entry: ClickToCallConfigEntry, said: str) -> bool:
    """Return whether an account is meant: its title's start, or its provider."""
    return fold(entry.title).startswith(fold(said)) or fold(
        entry.runtime_data.client.title
    ) == fold(said)


def _which_account(name: str, entries: list[ClickToCallConfigEntry]) -> str:
    """Ask which account: by its provider's name where that tells them apart."""
    titles = sorted(entry.title for entry in entries)
    providers = [entry.runtime_data.client.title for entry in entries]
    say = sorted(providers)[0] if len(set(providers)) == len(providers) else titles[0]
    return (
        f"More than one account can call {name}: {', '.join(titles)}. "
        f"Say, for example, call {name} with {say}."
    )


def describe_contacts(hass: HomeAssistant, *, announcing: bool = False) -> str:
    """Name the contacts an agent can call (for a tool's description).

    With `announcing`, those whose account can speak a message.
    """
    contacts = [
        contact
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
        if not announcing or entry.runtime_data.client.announces
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
ANNOUNCE_DESCRIPTION: Final = (
    "Calls one of the user's contacts and speaks a message to them, asking "
    "them to press 1 to confirm they heard it (for alerts and reminders: "
    "'tell Mom dinner is ready'). Give the contact's name and the message; "
    "the result's status becomes acknowledged once they press 1. Give the "
    "account only when told that more than one account knows the name."
)
SLOT_SCHEMA: Final = {
    vol.Required(SLOT_CONTACT): cv.string,
    vol.Optional(SLOT_ACCOUNT): cv.string,
}
ANNOUNCE_SLOT_SCHEMA: Final = {
    vol.Required(SLOT_CONTACT): cv.string,
    vol.Required(SLOT_MESSAGE): cv.string,
    vol.Optional(SLOT_ACCOUNT): cv.string,
}


async def async_answer_tool(
    hass: HomeAssistant, args: Mapping[str, Any], *, announce: bool
) -> VoiceAnswer:
    """Answer a tool or intent: its contact, account and (announcing) message."""
    if announce:
        return await async_announce_by_voice(
            hass, args[SLOT_CONTACT], args[SLOT_MESSAGE], args.get(SLOT_ACCOUNT)
        )
    return await async_call_by_voice(hass, args[SLOT_CONTACT], args.get(SLOT_ACCOUNT))


class _ContactIntentHandler(intent.IntentHandler):
    """An intent that calls a contact by name: a dial, or an announcement."""

    announce: bool = False
    intro: str = DESCRIPTION

    def __init__(self, hass: HomeAssistant) -> None:
        """Keep Home Assistant, to describe the contacts it can call."""
        self._hass = hass

    @property
    def description(self) -> str:  # type: ignore[override]
        """Describe the intent, with the contacts of the accounts loaded now."""
        contacts = describe_contacts(self._hass, announcing=self.announce)
        return f"{self.intro} {contacts}"

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Place the call; a refusal is an error response, not an exception."""
        slots = self.async_validate_slots(intent_obj.slots)
        answer = await async_answer_tool(
            intent_obj.hass,
            {name: slot["value"] for name, slot in slots.items()},
            announce=self.announce,
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


class DialIntentHandler(_ContactIntentHandler):
    """The intent `ClickToCallDial`: call a contact by name."""

    intent_type = INTENT_DIAL
    slot_schema = SLOT_SCHEMA


class AnnounceIntentHandler(_ContactIntentHandler):
    """The intent `ClickToCallAnnounce`: call a contact and speak a message."""

    intent_type = INTENT_ANNOUNCE
    slot_schema = ANNOUNCE_SLOT_SCHEMA
    announce = True
    intro = ANNOUNCE_DESCRIPTION


class Voice:
    """The integration's intents, and its sentences while an account is loaded.

    The sentences are one conversation trigger, so that one sentence never
    places two calls: the announcements to each contact that can hear one
    ("tell Mom {message}", "call Mom and say {message}"), named in full so
    that "tell me a joke" is not ours, then the dial sentences. It is made
    again whenever an account (and so its contacts) loads or unloads.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Register the intents; sentences wait for an account."""
        self._hass = hass
        self._loaded: dict[str, ClickToCallConfigEntry] = {}
        self._remove_sentences: CALLBACK_TYPE | None = None
        self._lock = asyncio.Lock()
        self.intents = (DialIntentHandler(hass), AnnounceIntentHandler(hass))
        for handler in self.intents:
            intent.async_register(hass, handler)

    async def async_account_loaded(self, entry: ClickToCallConfigEntry) -> None:
        """Listen for the sentences, with the new account's contacts."""
        self._loaded[entry.entry_id] = entry
        await self._async_listen()

    @callback
    def async_account_unloaded(self, entry: ClickToCallConfigEntry) -> None:
        """Listen again without the account's contacts; none once the last goes."""
        self._loaded.pop(entry.entry_id, None)
        self._hass.async_create_task(self._async_listen(), eager_start=True)

    async def _async_listen(self) -> None:
        async with self._lock:
            if self._remove_sentences is not None:
                self._remove_sentences()
                self._remove_sentences = None
            if self._loaded and "conversation" in self._hass.config.components:
                self._remove_sentences = await _async_listen(
                    self._hass, _sayable_names(self._loaded.values())
                )


def _sayable_names(entries: Iterable[ClickToCallConfigEntry]) -> list[str]:
    """Return the names and aliases of contacts that can hear an announcement.

    Only those a sentence can hold as they are; the longest first, so that
    "Mom's mother" is not read as "Mom".
    """
    names = {
        name
        for entry in entries
        if entry.runtime_data.client.announces
        for contact in entry.runtime_data.contacts.values()
        for name in (contact.name, *contact.aliases)
        if _SAYABLE.fullmatch(name)
    }
    return sorted(names, key=lambda name: (-len(name), name))


def _announce_sentences(names: list[str]) -> list[str]:
    return [
        sentence
        for name in names
        for sentence in (f"tell {name} {{message}}", f"call {name} and say {{message}}")
    ]


def _named_in(sentence: str, names: list[str]) -> str | None:
    """Return the contact name a sentence names after its verb."""
    words = fold(sentence).split(" ", 1)
    rest = words[1] if len(words) == 2 else ""
    return next((name for name in names if rest.startswith(f"{fold(name)} ")), None)


async def _async_listen(hass: HomeAssistant, names: list[str]) -> CALLBACK_TYPE | None:
    """Register the sentences with the built-in agent (one conversation trigger)."""
    config = await async_validate_trigger_config(
        hass,
        [
            {
                CONF_PLATFORM: "conversation",
                "command": [*_announce_sentences(names), *SENTENCES],
            }
        ],
    )

    async def heard(
        run_variables: dict[str, Any], context: Context | None = None
    ) -> ScriptRunResult:
        trigger = run_variables["trigger"]
        slots = trigger["slots"]
        if SLOT_CONTACT in slots:
            answer = await async_call_by_voice(
                hass, slots[SLOT_CONTACT], slots.get(SLOT_ACCOUNT)
            )
        else:
            name = _named_in(trigger["sentence"], names) or ""
            answer = await async_announce_by_voice(hass, name, slots[SLOT_MESSAGE])
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
