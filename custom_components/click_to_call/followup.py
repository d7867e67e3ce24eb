"""Outcomes that come after the dial action returns.

A slow answer (Ameyo) or a report that is polled (voice panel). Both run as
background tasks of the entry, so unloading the entry stops them.
"""

from __future__ import annotations

import asyncio
import time

from homeassistant.core import HomeAssistant, callback

from .calls import CallRecord
from .providers.base import (
    AuthenticationError,
    CallStatus,
    CallUpdate,
    DialRequest,
    PolledCall,
    ProviderError,
)
from .runtime import ClickToCallConfigEntry, ClickToCallData

INTERRUPTED = (
    "The outcome was not learned: the entry was reloaded, or Home Assistant "
    "restarted, while the provider was still dialling"
)


@callback
def async_await_outcome(
    hass: HomeAssistant,
    entry: ClickToCallConfigEntry,
    runtime: ClickToCallData,
    request: DialRequest,
) -> None:
    """Send a dial whose answer is its outcome, and apply it when it comes."""

    async def wait() -> None:
        try:
            result = await runtime.client.async_dial(request)
        except ProviderError as err:
            runtime.tracker.async_apply(
                CallUpdate(err.status, call_id=request.call_id, error=err.message)
            )
            if isinstance(err, AuthenticationError):
                entry.async_start_reauth(hass)
            return
        runtime.tracker.async_apply(
            CallUpdate(
                result.status,
                call_id=request.call_id,
                provider_call_id=result.provider_call_id,
            )
        )

    entry.async_create_background_task(
        hass, wait(), f"click_to_call outcome of {request.call_id}"
    )


@callback
def async_follow_call(
    hass: HomeAssistant,
    entry: ClickToCallConfigEntry,
    runtime: ClickToCallData,
    record: CallRecord,
) -> None:
    """Poll the provider about a call until it ends or its deadline passes."""
    client, tracker = runtime.client, runtime.tracker
    interval = client.poll_interval
    if interval is None:
        return
    call = PolledCall(
        record.call_id, record.provider_call_id, record.created, record.max_duration
    )

    async def follow() -> None:
        deadline = client.poll_deadline(call)
        while True:
            await asyncio.sleep(interval)
            now = time.time()
            try:
                update = await client.async_poll(call, now)
            except AuthenticationError:
                entry.async_start_reauth(hass)
                update = None
            if update is not None:
                tracker.async_apply(update)
            current = tracker.get(call.call_id)
            if current is None or current.status.is_final or now >= deadline:
                return

    entry.async_create_background_task(
        hass, follow(), f"click_to_call polling of {record.call_id}"
    )


@callback
def async_resume(hass: HomeAssistant, entry: ClickToCallConfigEntry) -> None:
    """After a restart or reload, pick up the calls still open."""
    runtime = entry.runtime_data
    client, tracker = runtime.client, runtime.tracker
    for record in list(tracker):
        if not record.placed or record.status.is_final:
            continue
        if client.answers_when_call_ends:
            # A connected call has had its outcome; for one still initiated,
            # the connection that would have carried it is gone.
            if record.status is CallStatus.INITIATED:
                tracker.async_apply(
                    CallUpdate(
                        CallStatus.FAILED, call_id=record.call_id, error=INTERRUPTED
                    )
                )
        elif client.poll_interval is not None:
            async_follow_call(hass, entry, runtime, record)
