"""The one way a provider client talks HTTP: sent at most once, read bounded.

A request that places a call may ring a real phone, so nothing here ever
sends a request twice once it may have left this machine:

- aiohttp itself resends an idempotent request (GET, PUT, ...) when its
  connection fails. Such requests go through a session that carries
  `send_once_trace`, which stops that second attempt before it connects:
  the caller's, or one made for the request on the caller's connection pool.
- Only a failure to connect is retried here: then nothing was sent.
- Redirects are not followed (they would send the request again).

Answers are read up to `MAX_ANSWER_BYTES`, after decompression, and decoded
into safe text whatever charset they name.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
import json
from types import SimpleNamespace
from typing import Any, Final
from urllib.parse import urlsplit
import zlib

import aiohttp
from aiohttp.payload import BytesPayload
import orjson

from .errors import (
    AnswerLostError,
    ErrorKey,
    NotSentError,
    ProviderUnavailableError,
    UnexpectedAnswerError,
)
from .text import safe_json, safe_text

REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=10)
# A provider answer is a few hundred bytes; anything much larger is not one.
MAX_ANSWER_BYTES: Final = 64 * 1024
# Attempts for a request that certainly never left this machine.
CONNECT_ATTEMPTS: Final = 3
CONNECT_RETRY_DELAY = 0.2
EXCERPT_CHARS: Final = 200
# Encodings this module inflates itself, within the bound.
_ZLIB_WINDOW: Final = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS}
_ACCEPT: Final = {"Accept-Encoding": "gzip, deflate"}
# The media types of the bodies providers send and receive.
JSON: Final = "application/json"
FORM: Final = "application/x-www-form-urlencoded"
# The methods aiohttp never sends twice by itself; every other one it may.
_NEVER_RESENT: Final = frozenset({"POST", "PATCH"})


class _SecondAttemptError(Exception):
    """aiohttp tried to send a request again on a new connection."""


async def _refuse_a_second_connection(
    session: aiohttp.ClientSession,
    context: SimpleNamespace,
    params: object,
) -> None:
    if getattr(context, "connected", False):
        raise _SecondAttemptError
    context.connected = True


class _SendOnceTrace(aiohttp.TraceConfig):
    """The trace of `send_once_trace`, known by its class."""


def send_once_trace() -> aiohttp.TraceConfig:
    """Return a trace that lets each request take one connection, once.

    aiohttp asks for a connection (new or pooled) once per attempt; a second
    attempt for the same request is refused before anything is sent.
    """
    trace = _SendOnceTrace()
    # (Typed loosely: aiohttp's signal annotations differ between releases.)
    signals: tuple[Any, ...] = (
        trace.on_connection_create_start,
        trace.on_connection_reuseconn,
    )
    for signal in signals:
        signal.append(_refuse_a_second_connection)
    return trace


@dataclass(slots=True)
class HttpAnswer:
    """A provider's HTTP answer, read in full (bounded) and decoded."""

    status: int
    text: str
    content_type: str = "text/plain"

    @property
    def server_error(self) -> bool:
        """Return whether the provider failed on its side (HTTP 5xx)."""
        return self.status >= 500

    @property
    def refused_credentials(self) -> bool:
        """Return whether the HTTP status itself refuses the credentials."""
        return self.status in (401, 403)

    def json(self) -> Any:
        """Decode the body as JSON or raise UnexpectedAnswerError."""
        try:
            data = json.loads(self.text)
            # A JSON escape can spell a lone surrogate; the text had none.
            return safe_json(data) if "\\u" in self.text else data
        except (ValueError, RecursionError) as err:
            raise UnexpectedAnswerError(
                f"HTTP {self.status} with a body that is not JSON: {self.excerpt}"
            ) from err

    @property
    def excerpt(self) -> str:
        """Return the start of the body, for an error message."""
        text = " ".join(self.text[: EXCERPT_CHARS * 2].split())
        return text if len(text) <= EXCERPT_CHARS else f"{text[:EXCERPT_CHARS]}…"


async def async_request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    client_timeout: aiohttp.ClientTimeout | None = None,
    headers: dict[str, str] | None = None,
    json: Any = None,
    **kwargs: Any,
) -> HttpAnswer:
    """Send one request and read its answer; raise a ProviderError on failure.

    `json` is sent as a JSON body, encoded here as Home Assistant's session
    would (orjson), without aiohttp's JSON payload wrapper around it.
    """
    if json is not None:
        kwargs["data"] = BytesPayload(orjson.dumps(json), content_type=JSON)
    if method.upper() not in _NEVER_RESENT and not any(
        isinstance(trace, _SendOnceTrace) for trace in session.trace_configs
    ):
        return await _async_request_once(
            session, method, url, client_timeout, headers, kwargs
        )
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            async with session.request(
                method,
                url,
                timeout=client_timeout or REQUEST_TIMEOUT,
                headers=_ACCEPT | (headers or {}),
                allow_redirects=False,
                auto_decompress=False,
                **kwargs,
            ) as response:
                return await _read(response)
        except aiohttp.ClientConnectorError as err:
            if isinstance(err, aiohttp.ClientSSLError):
                raise ProviderUnavailableError(
                    "the secure connection to the provider failed "
                    "(its certificate, or this machine's TLS settings)"
                ) from err
            if attempt == CONNECT_ATTEMPTS:
                raise ProviderUnavailableError(
                    f"nothing answers at {_host(url)}"
                ) from err
            await asyncio.sleep(CONNECT_RETRY_DELAY * attempt)
        except _SecondAttemptError as err:
            raise _connection_lost() from err
        except (
            aiohttp.ServerDisconnectedError,
            aiohttp.ClientOSError,
            aiohttp.ClientPayloadError,
        ) as err:
            raise _connection_lost() from err
        except aiohttp.ConnectionTimeoutError as err:
            # No connection within the time: nothing was sent.
            raise ProviderUnavailableError(
                f"nothing answers at {_host(url)} in time"
            ) from err
        except TimeoutError as err:
            raise AnswerLostError(
                "the provider did not answer in time; the request was not sent "
                "again, so that no phone rings twice",
                translation_key=ErrorKey.ANSWER_TIMEOUT,
            ) from err
        except aiohttp.InvalidURL as err:
            raise NotSentError(
                "the API URL is not a valid address",
                field="api_url",
                translation_key=ErrorKey.INVALID_SETTING,
            ) from err
        except aiohttp.ClientError as err:
            # Only the error's kind: its text can hold the URL, and with it
            # credentials sent as query parameters.
            raise ProviderUnavailableError(
                f"the connection to the provider failed ({type(err).__name__})"
            ) from err
        except ValueError as err:
            # aiohttp refuses to write a header holding a line break: before
            # anything was sent.
            raise NotSentError(
                "a setting holds a character that cannot be sent, such as a line break",
                translation_key=ErrorKey.INVALID_SETTING,
            ) from err
    raise AssertionError("unreachable")  # the loop always returns or raises


async def _async_request_once(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    client_timeout: aiohttp.ClientTimeout | None,
    headers: dict[str, str] | None,
    kwargs: dict[str, Any],
) -> HttpAnswer:
    """Send a request aiohttp could resend through a session with the trace.

    A session of its own on the same connections, made per request (a few
    tens of microseconds), so callers need not know.
    """
    async with aiohttp.ClientSession(
        connector=session.connector,
        connector_owner=False,
        headers=session.headers,
        trace_configs=[send_once_trace()],
    ) as once:
        return await async_request(
            once, method, url, client_timeout=client_timeout, headers=headers, **kwargs
        )


def _connection_lost() -> AnswerLostError:
    return AnswerLostError(
        "the connection dropped after the request was sent; it was not sent "
        "again, so that no phone rings twice",
        translation_key=ErrorKey.CONNECTION_LOST,
    )


async def _read(response: aiohttp.ClientResponse) -> HttpAnswer:
    if 300 <= response.status < 400:
        location = urlsplit(response.headers.get("Location", ""))
        raise UnexpectedAnswerError(
            f"the provider redirects to {location.netloc}{location.path or '/'}; "
            "set the API URL to that address",
            translation_key=ErrorKey.REDIRECTED,
        )
    if (length := response.content_length) is not None and length <= MAX_ANSWER_BYTES:
        raw: bytes | None = await response.read()  # the usual case: read in one go
    else:
        raw = await read_bounded(response.content, MAX_ANSWER_BYTES)
    body = None if raw is None else _inflate(raw, response.headers)
    if body is None:
        raise UnexpectedAnswerError(
            f"HTTP {response.status} with an answer over {MAX_ANSWER_BYTES} bytes",
            translation_key=ErrorKey.ANSWER_TOO_LARGE,
        )
    return HttpAnswer(
        response.status, _decode(body, response.charset), response.content_type
    )


async def read_bounded(stream: aiohttp.StreamReader, limit: int) -> bytes | None:
    """Read a whole body of at most `limit` bytes; None when it is longer."""
    body = bytearray()
    while len(body) <= limit:
        chunk = await stream.read(limit + 1 - len(body))
        if not chunk:
            return bytes(body)
        if not body and len(chunk) <= limit and stream.at_eof():
            return chunk  # the usual case: all of it at once, no copy, no second read
        body += chunk
    return None


def _inflate(raw: bytes, headers: Any) -> bytes | None:
    """Undo the answer's content encoding within the bound; None past it."""
    if "Content-Encoding" not in headers:
        return raw
    encoding = headers["Content-Encoding"].strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding == "deflate":  # zlib data, or raw deflate from some servers
        window = zlib.MAX_WBITS if raw[:1] == b"\x78" else -zlib.MAX_WBITS
    elif encoding in _ZLIB_WINDOW:
        window = _ZLIB_WINDOW[encoding]
    else:
        raise UnexpectedAnswerError(f"an answer in the {encoding!r} encoding")
    inflater = zlib.decompressobj(window)
    try:
        body = inflater.decompress(raw, MAX_ANSWER_BYTES + 1)
    except zlib.error as err:
        raise UnexpectedAnswerError(
            f"a {encoding} answer that does not decompress"
        ) from err
    if len(body) > MAX_ANSWER_BYTES:
        return None
    return body


def _decode(body: bytes, charset: str | None) -> str:
    """Decode an answer; a charset that cannot decode it counts as UTF-8."""
    try:
        text = body.decode(charset or "utf-8", "replace")
    except (LookupError, ValueError):  # unknown, not a text encoding, or idna
        text = body.decode("utf-8", "replace")
    return safe_text(text)


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def basic_authorization(login: str, password: str) -> str:
    """Return the HTTP Basic Authorization header value.

    aiohttp deprecates its BasicAuth helper in newer releases; this is the
    same encoding (RFC 7617, UTF-8).
    """
    credentials = base64.b64encode(f"{login}:{password}".encode()).decode()
    return f"Basic {credentials}"
