"""Tools for LLM agents (Home Assistant 2026.8 and later): call a contact by name.

Up to 2026.7 the Assist API makes a tool of every intent, and the intent
`ClickToCallDial` (voice.py) is ours. From 2026.8 tools come from each
integration's `llm` platform, this module. Home Assistant 2026.8 needs Python
3.14: the check below keeps the type checker of older ends off these names.
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
        DESCRIPTION,
        SLOT_ACCOUNT,
        SLOT_CONTACT,
        SLOT_SCHEMA,
        async_call_by_voice,
        describe_contacts,
    )

    TOOL_NAME: Final = f"{DOMAIN}__dial"

    class DialTool(Tool):
        """Call a contact by name, as "call Mom" to Assist would."""

        name = TOOL_NAME
        title = "Call a contact"
        integration = DOMAIN
        parameters = vol.Schema(SLOT_SCHEMA)

        def __init__(self, hass: HomeAssistant) -> None:
            """Describe the tool with the contacts it can call now."""
            self.description = f"{DESCRIPTION} {describe_contacts(hass)}"

        async def async_call(
            self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
        ) -> ToolResult:
            """Place the call; a refusal is a readable error, not an exception."""
            args = tool_input.tool_args
            answer = await async_call_by_voice(
                hass, args[SLOT_CONTACT], args.get(SLOT_ACCOUNT)
            )
            if answer.record is None:
                return ToolResult(data={"error": answer.speech}, error=True)
            return ToolResult(
                data={"speech": answer.speech, **answer.record.as_response()}
            )

    @callback
    def async_get_tools(
        hass: HomeAssistant, llm_context: LLMContext, api_id: str
    ) -> LLMTools | None:
        """Offer the dial tool to agents using the Assist API."""
        if api_id != LLM_API_ASSIST:
            return None
        return LLMTools(tools=[DialTool(hass)])
