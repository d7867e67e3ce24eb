"""Every message the integration can show has its English text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.click_to_call.errors import Refusal
from custom_components.click_to_call.providers import PROVIDER_IDS, client_class
from custom_components.click_to_call.providers.errors import ErrorKey
from custom_components.click_to_call.providers.models import CallStatus
from custom_components.click_to_call.providers.settings import Kind
from scripts.translations import resolve

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "click_to_call"
STRINGS: dict[str, Any] = json.loads((INTEGRATION / "strings.json").read_text())
ENGLISH: dict[str, Any] = json.loads(
    (INTEGRATION / "translations" / "en.json").read_text()
)


def test_english_is_strings_resolved() -> None:
    assert resolve(STRINGS) == ENGLISH
    assert "[%key:" not in json.dumps(ENGLISH)


def test_references_resolve_to_text() -> None:
    with pytest.raises(KeyError):
        resolve({"a": "[%key:component::click_to_call::missing%]"})
    with pytest.raises(ValueError, match="not a string"):
        resolve({"a": {"b": "x"}, "c": "[%key:component::click_to_call::a%]"})


@pytest.mark.parametrize("key", [*ErrorKey, *Refusal])
def test_every_error_has_a_message(key: str) -> None:
    """Every key an error can carry, listed by the enums, not read from source."""
    assert ENGLISH["exceptions"][key]["message"]


@pytest.mark.parametrize("key", list(ErrorKey))
def test_every_provider_error_is_also_a_form_error(key: ErrorKey) -> None:
    """The config flow and the options show the same keys as the action.

    One in its own words: a form that sets an account up does not ask to
    reauthenticate an account that does not exist yet.
    """
    message = ENGLISH["exceptions"][key]["message"]
    if key is ErrorKey.AUTH_FAILED:
        assert "Reauthenticate" in message
        assert ENGLISH["config"]["error"][key] == (
            "{provider} refused the credentials ({message}). Check them and try again."
        )
    else:
        assert ENGLISH["config"]["error"][key] == message
    assert ENGLISH["options"]["error"][key] == message


def test_form_errors_of_numbers_and_settings() -> None:
    errors = ENGLISH["config"]["error"]
    for key in (
        Refusal.INVALID_NUMBER,
        Refusal.NUMBER_NEEDS_COUNTRY,
        Refusal.NUMBER_NOT_NATIONAL,
        Refusal.NUMBER_HAS_EXTENSION,
        "invalid_characters",
    ):
        assert errors[key]


def test_every_status_has_a_name_and_an_icon() -> None:
    sensor = ENGLISH["entity"]["sensor"]["last_call_status"]["state"]
    event = ENGLISH["entity"]["event"]["call"]["state_attributes"]["event_type"][
        "state"
    ]
    icons = json.loads((INTEGRATION / "icons.json").read_text())
    for status in CallStatus:
        assert sensor[status]
        assert event[status] == sensor[status]
        assert icons["entity"]["sensor"]["last_call_status"]["state"][status]


def test_every_setting_has_a_label() -> None:
    steps = ENGLISH["config"]["step"]
    for provider in PROVIDER_IDS:
        client = client_class(provider)
        # The last page says what this provider needs next.
        assert ENGLISH["config"]["create_entry"][provider]
        assert steps["user"]["menu_options"][provider]
        for setting in client.config_class.settings():
            assert steps[provider]["data"][setting.key]
            assert steps[provider]["data_description"][setting.key]
            assert steps["reconfigure"]["data"][setting.key]
            if setting.kind is Kind.SECRET:
                assert steps["reauth_confirm"]["data"][setting.key]
