"""Sensors: the status and the duration of the entry's last call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .calls import CallRecord
from .contacts import Contact
from .coordinator import ClickToCallConfigEntry
from .entity import CallFollowingEntity, add_to_each_contact
from .providers.models import CallStatus

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ClickToCallSensorDescription(SensorEntityDescription):
    """A sensor that shows one side of the last call."""

    value_fn: Callable[[CallRecord], StateType]
    with_attributes: bool = False


LAST_CALL_STATUS = ClickToCallSensorDescription(
    key="last_call_status",
    translation_key="last_call_status",
    device_class=SensorDeviceClass.ENUM,
    options=[status.value for status in CallStatus],
    value_fn=lambda record: record.status.value,
    with_attributes=True,
)
SENSORS = (
    LAST_CALL_STATUS,
    ClickToCallSensorDescription(
        key="last_call_duration",
        translation_key="last_call_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=0,
        value_fn=lambda record: record.duration,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ClickToCallConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's sensors, and each contact's last call status."""
    async_add_entities(LastCallSensor(entry, description) for description in SENSORS)
    add_to_each_contact(
        entry,
        async_add_entities,
        lambda contact: LastCallSensor(entry, LAST_CALL_STATUS, contact),
    )


class LastCallSensor(CallFollowingEntity, SensorEntity):
    """A sensor that follows the call sent last (to its contact, if it has one)."""

    entity_description: ClickToCallSensorDescription

    def __init__(
        self,
        entry: ClickToCallConfigEntry,
        description: ClickToCallSensorDescription,
        contact: Contact | None = None,
    ) -> None:
        """Describe the sensor."""
        super().__init__(entry, description.key, contact)
        self.entity_description = description
        self._contact_id = None if contact is None else contact.subentry_id
        # The call shown, kept as it changes: read at each write.
        self._record: CallRecord | None = None
        self._written: StateType = None

    async def async_added_to_hass(self) -> None:
        """Show the last call from the start (the stored one)."""
        self._record = self._shown()
        self._written = self.native_value
        await super().async_added_to_hass()

    @property
    def native_value(self) -> StateType:
        """Return the value for the last call, if there was one."""
        record = self._record
        return None if record is None else self.entity_description.value_fn(record)

    @property
    def extra_state_attributes(self) -> dict[str, object] | None:
        """Describe the last call on the status sensor."""
        record = self._record
        if record is None or not self.entity_description.with_attributes:
            return None
        return self._tracker.describe(record)

    def _shown(self) -> CallRecord | None:
        """Return the call to show: the account's last, or its contact's."""
        if self._contact_id is None:
            return self._tracker.latest
        return self._tracker.latest_for(self._contact_id)

    @callback
    def _async_call_changed(self, record: CallRecord, status_changed: bool) -> None:
        if record is not self._shown():
            return
        self._record = record
        # The duration sensor has no attributes: a write without a new value
        # would only cost time.
        value = self.entity_description.value_fn(record)
        if self.entity_description.with_attributes or value != self._written:
            self._written = value
            self.async_write_ha_state()
