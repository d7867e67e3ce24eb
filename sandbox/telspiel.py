"""telSpiel's click-to-call API, as its document describes it."""

from __future__ import annotations

import json

from aiohttp import web

from . import samples
from .core import Sandbox, json_object

TITLE = "telSpiel"
REPORTS_TO_WEBHOOK = False
# How calls report back, shown on the sandbox page.
REPORTING = "None: telSpiel has no status callback, so its calls stay initiated."
PATH = "/telspiel/api/click-to-call"
# The value a user types as API URL path.
API_PATH = PATH


def _answer(text: str, status: int) -> web.Response:
    return web.Response(status=status, text=text, content_type="application/json")


def _invalid(problems: dict[str, list[str]]) -> web.Response:
    errors = json.dumps(problems)
    return _answer(
        json.dumps(
            {
                "code": 422,
                "status": "invalid",
                "message": "Invalid data",
                "errors": errors,
            },
            indent=2,
        ),
        422,
    )


def routes(sandbox: Sandbox) -> list[web.RouteDef]:
    """Return the telSpiel routes."""

    async def click_to_call(request: web.Request) -> web.Response:
        account = sandbox.accounts["telspiel"]
        body = await json_object(request)
        if body is None:
            return _invalid({"body": ["Body must be a JSON object"]})
        if (
            request.headers.get("api-key") != account["api_key"]
            or body.get("username") != account["username"]
        ):
            return _answer(samples.TELSPIEL_FORBIDDEN, 403)
        problems: dict[str, list[str]] = {}
        for field in ("customer_phone", "agent_phone"):
            name = field.replace("_", " ").capitalize()
            if not body.get(field):
                problems[field] = [f"{name} is required"]
            elif not str(body[field]).isdigit():
                problems[field] = [f"{name} must be numeric"]
        # Where a document prints the answer, the sandbox sends exactly that.
        if problems == {"customer_phone": ["Customer phone is required"]}:
            return _answer(samples.TELSPIEL_CUSTOMER_REQUIRED, 422)
        if problems == {"agent_phone": ["Agent phone is required"]}:
            return _answer(samples.TELSPIEL_AGENT_REQUIRED, 422)
        if problems:
            return _invalid(problems)
        call_id = f"telspiel-{sandbox.next_id()}"
        sandbox.place("telspiel", call_id, body["customer_phone"], body["agent_phone"])
        return _answer(samples.TELSPIEL_SUCCESS, 200)

    return [web.post(PATH, sandbox.wrap("telspiel", click_to_call))]
