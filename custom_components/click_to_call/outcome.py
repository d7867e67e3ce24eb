"""What becomes of a call after the provider took it: slow answers and polling.

Both run on Home Assistant's clock (`CallCoordinator.async_schedule`), as the
entry's background tasks, and report through `CallCoordinator.async_apply`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.util import dt as dt_util

from .calls import CallRecord, CallTracker
from .providers.client import ProviderClient
from .providers.errors import AuthenticationError, ProviderError
from .providers.models import CallStatus, CallUpdate, DialRequest, PolledCall


class Follower(Protocol):
    """What following a call needs of its account (the call coordinator)."""

    client: ProviderClient[Any]
    tracker: CallTracker

    def async_apply(self, update: CallUpdate) -> CallRecord | None:
        """Apply a status report."""

    def async_provider_failed(self, err: ProviderError) -> None:
        """Ask for new credentials when the provider refused them."""

    def async_polled(self, error: str | None) -> None:
        """Note whether asking the provider worked."""

    def async_run(
        self, call_id: str, job: Coroutine[Any, Any, None], name: str
    ) -> asyncio.Task[None]:
        """Run a follow-up as the account's background task."""

    def async_schedule(self, delay: float, action: Callable[[], None]) -> CALLBACK_TYPE:
        """Run `action` after `delay` seconds."""


@callback
def async_await_answer(coordinator: Follower, request: DialRequest) -> None:
    """Send a dial whose answer is its outcome; apply it when it comes.

    Past the provider's deadline the call ends `failed`.
    """
    client = coordinator.client
    call_id = request.call_id

    async def wait() -> None:
        try:
            result = await client.async_dial(request)
        except ProviderError as err:
            update = CallUpdate(err.status, call_id=call_id, error=err.message)
            coordinator.async_apply(update)
            coordinator.async_provider_failed(err)
        else:
            coordinator.async_apply(
                CallUpdate(
                    result.status,
                    call_id=call_id,
                    provider_call_id=result.provider_call_id,
                )
            )
        finally:
            cancel_deadline()

    @callback
    def deadline() -> None:
        task.cancel()
        coordinator.async_apply(
            CallUpdate(
                CallStatus.FAILED,
                call_id=call_id,
                error=f"{client.title} gave no outcome within "
                f"{client.answer_deadline:g} s",
            )
        )

    task = coordinator.async_run(call_id, wait(), "answer")
    cancel_deadline = coordinator.async_schedule(client.answer_deadline, deadline)


@callback
def async_poll(coordinator: Follower, record: CallRecord) -> None:
    """Ask the provider about a call until it ends or its deadline passes."""
    client = coordinator.client
    call = PolledCall(
        record.call_id, record.provider_call_id, record.created, record.max_duration
    )
    deadline = client.poll_deadline(call)

    async def poll_once() -> None:
        now = dt_util.utcnow().timestamp()
        try:
            update = await client.async_poll(call, now)
        except AuthenticationError as err:
            coordinator.async_provider_failed(err)
            update = None
        coordinator.async_polled(call.poll_error)
        if update is not None:
            coordinator.async_apply(update)
        current = coordinator.tracker.get(call.call_id)
        if current is not None and not current.status.is_final and now < deadline:
            schedule()

    @callback
    def poll() -> None:
        coordinator.async_run(call.call_id, poll_once(), "poll")

    @callback
    def schedule() -> None:
        coordinator.async_schedule(client.poll_interval, poll)

    schedule()
