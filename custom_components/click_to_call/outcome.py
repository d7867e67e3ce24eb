"""What becomes of a call after the provider took it: slow answers and polling.

Both run on Home Assistant's clock (`CallCoordinator.async_schedule`), as the
entry's background tasks, and report through `CallCoordinator.async_apply`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .providers.errors import AuthenticationError, ProviderError
from .providers.models import CallStatus, CallUpdate, DialRequest, PolledCall

if TYPE_CHECKING:
    from .calls import CallRecord
    from .coordinator import CallCoordinator


@callback
def async_await_answer(coordinator: CallCoordinator, request: DialRequest) -> None:
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
def async_poll(coordinator: CallCoordinator, record: CallRecord) -> None:
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
