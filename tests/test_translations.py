"""Every message the integration can show has its English text."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.click_to_call.providers.base import CallStatus
from custom_components.click_to_call.providers.spokn import _CODES
from custom_components.click_to_call.services import _PROVIDER_ERROR_KEYS
from scripts.translations import resolve

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "click_to_call"
STRINGS: dict[str, Any] = json.loads((INTEGRATION / "strings.json").read_text())
ENGLISH: dict[str, Any] = json.loads(
    (INTEGRATION / "translations" / "en.json").read_text()
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No Home Assistant needed to read files."""


@pytest.fixture(autouse=True)
def home_in_india() -> None:
    """No Home Assistant needed to read files."""


def test_english_is_strings_resolved() -> None:
    assert resolve(STRINGS) == ENGLISH
    assert "[%key:" not in json.dumps(ENGLISH)


def test_references_resolve_to_text() -> None:
    with pytest.raises(KeyError):
        resolve({"a": "[%key:component::click_to_call::missing%]"})
    with pytest.raises(ValueError, match="not a string"):
        resolve({"a": {"b": "x"}, "c": "[%key:component::click_to_call::a%]"})


# Refusals of the dial action that come from a provider's documented limits.
VALIDATION_REASONS = {
    "enterprise_only",
    "duration_minutes",
    "out_of_range",
    "extra_not_supported",
    "token_too_long",
}
# Provider errors raised while dialling, beyond the return codes.
DIAL_REASONS = {"not_found", "unsupported_media_type", "panel_refused"}


def test_every_exception_has_a_message() -> None:
    source = "\n".join(path.read_text() for path in INTEGRATION.rglob("*.py"))
    used = {key for _, key in _PROVIDER_ERROR_KEYS}
    used |= {f"provider_{reason}" for _, reason, _ in _CODES.values()}
    used |= {f"provider_{reason}" for reason in DIAL_REASONS}
    used |= VALIDATION_REASONS
    used |= set(re.findall(r'_validation_error\(\s*"(\w+)"', source))
    used |= set(re.findall(r'_refuse\(\s*entry,\s*record,\s*"(\w+)"', source))
    used |= {"number_needs_country", "number_not_national", "invalid_number"}
    used |= {"call_guard_hourly", "call_guard_repeat"}
    assert used - set(ENGLISH["exceptions"]) == set()
    for key in used:
        assert ENGLISH["exceptions"][key]["message"]
    # Each of these reasons really is raised somewhere.
    for reason in VALIDATION_REASONS | DIAL_REASONS:
        assert f'reason="{reason}"' in source, reason


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
    from custom_components.click_to_call.settings import PROVIDER_SETTINGS

    steps = ENGLISH["config"]["step"]
    for provider, settings in PROVIDER_SETTINGS.items():
        assert steps["user"]["menu_options"][provider]
        for setting in settings:
            assert steps[provider]["data"][setting.key]
            assert steps[provider]["data_description"][setting.key]
            assert steps["reconfigure"]["data"][setting.key]
            if setting.secret:
                assert steps["reauth_confirm"]["data"][setting.key]
