"""Calls by voice: "call Mom" to Assist's built-in agent, and the LLM tool."""

from __future__ import annotations

import sys
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import llm
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.click_to_call.const import (
    CONF_REPEAT_INTERVAL,
    CONF_VOICE_ANY_NUMBER,
)
from tests.conftest import EntryFactory, SandboxServer, spokn_data, telecmi_data
from tests.test_contacts import add_contact, contact_id

pytestmark = pytest.mark.usefixtures("integration")

MOM = {"name": "Mom", "number": "98765 43210", "aliases": ["Amma", "Mother"]}


@pytest.fixture
async def assist(hass: HomeAssistant) -> None:
    """Assist's built-in agent, as in a default installation."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})


@pytest.fixture
async def account(
    hass: HomeAssistant, assist: None, sandbox: SandboxServer, setup_entry: EntryFactory
) -> MockConfigEntry:
    entry = await setup_entry(telecmi_data(sandbox))
    await add_contact(hass, entry, MOM)
    return entry


async def say(hass: HomeAssistant, text: str) -> str:
    """Say a sentence to the built-in agent; return what it answers."""
    result = await conversation.async_converse(
        hass, text, None, Context(), language="en"
    )
    return str(result.response.speech["plain"]["speech"])


def calls(sandbox: SandboxServer, provider: str = "telecmi") -> int:
    return len(sandbox.sandbox.received(provider))


@pytest.mark.parametrize(
    "sentence", ["call Mom", "Phone mom", "ring Amma", "dial mother", "call MOM"]
)
async def test_a_contact_is_called_by_name_or_alias(
    hass: HomeAssistant, account: MockConfigEntry, sandbox: SandboxServer, sentence: str
) -> None:
    assert await say(hass, sentence) == "Calling Mom."
    assert calls(sandbox) == 1
    status = hass.states.get("sensor.mom_last_call_status")
    assert status is not None
    assert status.state == "initiated"


async def test_refusals_are_spoken_and_send_nothing(
    hass: HomeAssistant, account: MockConfigEntry, sandbox: SandboxServer
) -> None:
    assert await say(hass, "call Bob") == "I don't know anyone called Bob."
    assert await say(hass, "call Mom") == "Calling Mom."
    answer = await say(hass, "call Mom")
    assert answer.startswith("I did not call Mom. Call guard:")
    assert answer.endswith("less than 60 seconds ago; it can be called again in 1 min.")
    assert await say(hass, "call Mom with Spokn") == (
        "I don't know an account called Spokn."
    )
    assert calls(sandbox) == 1


async def test_numbers_said_aloud_only_where_the_account_allows(
    hass: HomeAssistant, assist: None, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(telecmi_data(sandbox))

    answer = await say(hass, "call 98765 43210")
    assert answer.startswith("I only call your contacts by voice.")
    assert calls(sandbox) == 0

    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_VOICE_ANY_NUMBER: True}
    )
    await hass.async_block_till_done()  # the account sets up again
    assert await say(hass, "call 98765 43210") == "Calling 98765 43210."
    assert calls(sandbox) == 1


async def test_contacts_added_and_removed_are_heard_at_once(
    hass: HomeAssistant, account: MockConfigEntry, sandbox: SandboxServer
) -> None:
    assert await say(hass, "call Dad") == "I don't know anyone called Dad."
    await add_contact(hass, account, {"name": "Dad", "number": "91234 56789"})
    assert await say(hass, "call Dad") == "Calling Dad."

    hass.config_entries.async_remove_subentry(account, contact_id(account, "Dad"))
    await hass.async_block_till_done()
    assert await say(hass, "call Dad") == "I don't know anyone called Dad."
    assert calls(sandbox) == 1


async def test_a_name_two_accounts_know_needs_the_account(
    hass: HomeAssistant,
    account: MockConfigEntry,
    sandbox: SandboxServer,
    setup_entry: EntryFactory,
) -> None:
    spokn = await setup_entry(spokn_data(sandbox), {CONF_REPEAT_INTERVAL: 0})
    await add_contact(hass, spokn, {"name": "Mom", "number": "+91 98765 43210"})

    hass.config_entries.async_update_entry(spokn, title="Office line")
    await hass.async_block_till_done()  # the account sets up again
    answer = await say(hass, "call Mom")
    # The provider's name tells the two apart: say it, not the whole title.
    assert answer == (
        "More than one account can call Mom: Office line, telecmi test. "
        "Say, for example, call Mom with Spokn."
    )
    assert calls(sandbox) + calls(sandbox, "spokn") == 0
    assert await say(hass, "call Mom with Spokn") == "Calling Mom."
    assert calls(sandbox, "spokn") == 1
    assert await say(hass, "call Mom with office") == "Calling Mom."
    assert calls(sandbox, "spokn") == 2


async def test_a_contacts_number_said_aloud_calls_that_contact(
    hass: HomeAssistant, account: MockConfigEntry, sandbox: SandboxServer
) -> None:
    """Numbers by voice is off, but this number is Mom's: call Mom."""
    assert await say(hass, "call 98765 43210") == "Calling Mom."
    assert await say(hass, "call +91 98765 43210") != "Calling Mom."  # the guard
    assert calls(sandbox) == 1
    assert await say(hass, "call 91234 56789") == (
        "I only call your contacts by voice. To call any number, turn on "
        "numbers by voice in the account's options."
    )


async def test_the_sentences_go_with_the_last_account(
    hass: HomeAssistant, account: MockConfigEntry, sandbox: SandboxServer
) -> None:
    assert await hass.config_entries.async_unload(account.entry_id)
    answer = await say(hass, "call Mom")
    assert "Mom" not in answer  # the built-in agent's own answer
    assert calls(sandbox) == 0

    assert await hass.config_entries.async_setup(account.entry_id)
    await hass.async_block_till_done()
    assert await say(hass, "call Mom") == "Calling Mom."


def llm_context() -> llm.LLMContext:
    """An agent's context (its fields differ between Home Assistant releases)."""
    fields: dict[str, Any] = {
        "platform": "test",
        "context": Context(),
        "user_prompt": "call mom",
        "language": "en",
        "assistant": conversation.DOMAIN,
        "device_id": None,
    }
    known = llm.LLMContext.__dataclass_fields__
    return llm.LLMContext(
        **{key: value for key, value in fields.items() if key in known}
    )


async def our_tool(hass: HomeAssistant) -> tuple[llm.APIInstance, llm.Tool]:
    """The tool an agent using the Assist API gets from us."""
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, llm_context())
    # From 2026.8 (Python 3.14 here) our llm platform's tool; before, the
    # Assist API's tool of our intent.
    name = "click_to_call__dial" if sys.version_info >= (3, 14) else "ClickToCallDial"
    [tool] = [tool for tool in api.tools if tool.name == name]
    return api, tool


def result_data(result: Any) -> dict[str, Any]:
    """A tool's answer: a ToolResult from 2026.10, a plain mapping before."""
    return dict(getattr(result, "data", result))


async def test_an_llm_agent_calls_a_contact(
    hass: HomeAssistant, account: MockConfigEntry, sandbox: SandboxServer
) -> None:
    api, tool = await our_tool(hass)
    assert "Mom (also Amma, Mother)" in str(tool.description)
    assert "contact" in tool.parameters.schema

    result = await api.async_call_tool(
        llm.ToolInput(tool_name=tool.name, tool_args={"contact": "Amma"})
    )

    data = result_data(result)
    answer = data.get("speech_slots", data)
    assert answer["status"] == "initiated"
    assert answer["contact"] == "Mom"
    assert answer["call_id"]
    assert calls(sandbox) == 1


async def test_an_llm_agent_hears_a_refusal(
    hass: HomeAssistant, account: MockConfigEntry, sandbox: SandboxServer
) -> None:
    api, tool = await our_tool(hass)

    result = await api.async_call_tool(
        llm.ToolInput(tool_name=tool.name, tool_args={"contact": "Bob"})
    )

    assert "I don't know anyone called Bob." in str(result_data(result))
    assert calls(sandbox) == 0


async def test_the_tool_describes_no_contacts_yet(
    hass: HomeAssistant, assist: None, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    await setup_entry(telecmi_data(sandbox))
    _, tool = await our_tool(hass)
    assert "No contacts are set up yet." in str(tool.description)


async def test_numbers_by_voice_on_two_accounts_need_the_account(
    hass: HomeAssistant, assist: None, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    options = {CONF_VOICE_ANY_NUMBER: True}
    await setup_entry(telecmi_data(sandbox), options)
    await setup_entry(spokn_data(sandbox), options)

    answer = await say(hass, "call 98765 43210")

    assert answer.startswith("More than one account can call 98765 43210")
    assert await say(hass, "call 98765 43210 with spokn") == "Calling 98765 43210."
    assert calls(sandbox, "spokn") == 1
    assert calls(sandbox) == 0


def test_the_llm_platform_serves_only_the_assist_api(hass: HomeAssistant) -> None:
    """From 2026.8 (here Python 3.14): tools for Assist only. Before: none."""
    from custom_components.click_to_call import llm as platform

    if sys.version_info < (3, 14):
        assert not hasattr(platform, "async_get_tools")
        return
    assert platform.async_get_tools(hass, llm_context(), "another_api") is None
    tools = platform.async_get_tools(hass, llm_context(), llm.LLM_API_ASSIST)
    assert tools is not None
    assert [tool.name for tool in tools.tools] == [
        "click_to_call__dial",
        "click_to_call__announce",
    ]


@pytest.fixture
async def announcing(
    hass: HomeAssistant, assist: None, sandbox: SandboxServer, setup_entry: EntryFactory
) -> MockConfigEntry:
    """A TeleCMI account that can announce (its number set), with Mom."""
    entry = await setup_entry(
        telecmi_data(sandbox, caller_id="919100000000"), {CONF_REPEAT_INTERVAL: 0}
    )
    await add_contact(hass, entry, MOM)
    return entry


def spoken(sandbox: SandboxServer) -> list[str]:
    return [
        call.spoken[0]
        for call in sandbox.sandbox.calls.values()
        if call.kind == "announce"
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "tell Mom dinner is ready",
        "call Mom and say dinner is ready",
        "tell amma dinner is ready",
        "Call mother and say dinner is ready",
    ],
)
async def test_a_message_is_spoken_to_a_contact(
    hass: HomeAssistant,
    announcing: MockConfigEntry,
    sandbox: SandboxServer,
    sentence: str,
) -> None:
    """One sentence, one call: the dial sentences hear "call Mom and say …"
    too, and must not place a second call."""
    answer = await say(hass, sentence)
    assert answer == "Calling Mom to say: dinner is ready"
    assert spoken(sandbox) == ["dinner is ready Press 1 to confirm."]
    assert len(sandbox.sandbox.received("telecmi")) == 1


async def test_tell_is_ours_only_for_a_contact(
    hass: HomeAssistant, announcing: MockConfigEntry, sandbox: SandboxServer
) -> None:
    answer = await say(hass, "tell me a joke")
    assert "Calling" not in answer
    assert "I don't know anyone" not in answer
    assert sandbox.sandbox.received("telecmi") == []


async def test_a_contact_whose_account_cannot_announce_hears_why(
    hass: HomeAssistant, assist: None, sandbox: SandboxServer, setup_entry: EntryFactory
) -> None:
    entry = await setup_entry(spokn_data(sandbox))
    await add_contact(hass, entry, {"name": "Dad", "number": "+91 91234 56789"})
    answer = await say(hass, "call Dad and say dinner is ready")
    assert answer.startswith("I did not call Dad. Spokn can only connect two numbers")
    assert sandbox.sandbox.received("spokn") == []


async def test_an_llm_agent_speaks_a_message_to_a_contact(
    hass: HomeAssistant, announcing: MockConfigEntry, sandbox: SandboxServer
) -> None:
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, llm_context())
    name = (
        "click_to_call__announce"
        if sys.version_info >= (3, 14)
        else "ClickToCallAnnounce"
    )
    [tool] = [tool for tool in api.tools if tool.name == name]
    assert "Mom (also Amma, Mother)" in str(tool.description)

    result = await api.async_call_tool(
        llm.ToolInput(
            tool_name=tool.name,
            tool_args={"contact": "Mom", "message": "the oven is on"},
        )
    )

    data = result_data(result)
    answer = data.get("speech_slots", data)
    assert answer["status"] == "initiated"
    assert answer["contact"] == "Mom"
    assert spoken(sandbox) == ["the oven is on Press 1 to confirm."]
