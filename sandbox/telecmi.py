"""TeleCMI's click-to-call API, as its document describes it."""

from __future__ import annotations

import secrets
import string

from aiohttp import web

from .core import Sandbox, json_object

TITLE = "TeleCMI"
# Calls report through the generic JSON webhook, at the URL pasted on the page.
REPORTS_TO_WEBHOOK = True
PATH = "/telecmi/v2/webrtc/click2call"
# The value a user types as API URL path.
API_PATH = PATH
_ALPHABET = string.ascii_letters + string.digits


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"code": status, "msg": message}, status=status)


def routes(sandbox: Sandbox) -> list[web.RouteDef]:
    """Return the TeleCMI routes."""

    async def click2call(request: web.Request) -> web.Response:
        account = sandbox.accounts["telecmi"]
        body = await json_object(request)
        if body is None or not body.get("user_id") or not body.get("secret"):
            return _error(400, "User id or secret param missing")
        if body["user_id"] != account["user_id"] or body["secret"] != account["secret"]:
            return _error(404, "Failed to authenticate secret")
        to = body.get("to")
        if not isinstance(to, int) or isinstance(to, bool):
            return _error(400, "to must be a number")
        request_id = "".join(secrets.choice(_ALPHABET) for _ in range(43))
        sandbox.place("telecmi", request_id, str(to), None)
        # The same layout as the document's sample answer.
        text = f'{{"code": 200,"msg": "Call initiated","request_id": "{request_id}"}}'
        return web.Response(text=text, content_type="application/json")

    return [web.post(PATH, sandbox.wrap("telecmi", click2call))]
