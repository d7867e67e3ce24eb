"""Tools for LLM agents (2026.8 and later): call a contact, or speak a message.

Up to 2026.7 the Assist API makes a tool of every intent, and the intents
`ClickToCallDial` and `ClickToCallAnnounce` (voice.py) are ours. From 2026.8
tools come from each integration's `llm` platform, this module. Home
Assistant 2026.8 needs Python 3.14: the check below keeps the type checker of
older ends off these names.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 14):
    from typing import Final

    from homeassistant.components.llm import LLMTools
    from homeassistant.core import HomeAssistant, callback
    from homeassistant.helpers.llm import (
        LLM_API_ASSIST,
        LLMContext,
        Tool,
        ToolInput,
        ToolResult,
    )

    from .compat import vol
    from .const import DOMAIN
    from .voice import (
        ANNOUNCE_DESCRIPTION,
        ANNOUNCE_SLOT_SCHEMA,
        DESCRIPTION,
        SLOT_SCHEMA,
        async_answer_tool,
        describe_contacts,
    )

    TOOL_NAME: Final = f"{DOMAIN}__dial"
    ANNOUNCE_TOOL_NAME: Final = f"{DOMAIN}__announce"

    class DialTool(Tool):
        """Call a contact by name, as "call Mom" to Assist would."""

        name = TOOL_NAME
        title = "Call a contact"
        integration = DOMAIN
        parameters = vol.Schema(SLOT_SCHEMA)
        announce = False
        intro = DESCRIPTION

        def __init__(self, hass: HomeAssistant) -> None:
            """Describe the tool with the contacts it can call now."""
            contacts = describe_contacts(hass, announcing=self.announce)
            self.description = f"{self.intro} {contacts}"

        async def async_call(
            self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
        ) -> ToolResult:
            """Place the call; a refusal is a readable error, not an exception."""
            answer = await async_answer_tool(
                hass, tool_input.tool_args, announce=self.announce
            )
            if answer.record is None:
                return ToolResult(data={"error": answer.speech}, error=True)
            return ToolResult(
                data={"speech": answer.speech, **answer.record.as_response()}
            )

    class AnnounceTool(DialTool):
        """Call a contact and speak a message, as "tell Mom dinner is ready"."""

        name = ANNOUNCE_TOOL_NAME
        title = "Call a contact and speak a message"
        parameters = vol.Schema(ANNOUNCE_SLOT_SCHEMA)
        announce = True
        intro = ANNOUNCE_DESCRIPTION

    @callback
    def async_get_tools(
        hass: HomeAssistant, llm_context: LLMContext, api_id: str
    ) -> LLMTools | None:
        """Offer the dial and announce tools to agents using the Assist API."""
        if api_id != LLM_API_ASSIST:
            return None
        return LLMTools(tools=[DialTool(hass), AnnounceTool(hass)])
