"""The registry: each provider's module, loaded on first use."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from custom_components.click_to_call import providers
from custom_components.click_to_call.providers import PROVIDER_IDS, client_class
from custom_components.click_to_call.providers.models import Outcome


@pytest.mark.parametrize("provider", PROVIDER_IDS)
def test_every_provider_declares_itself(provider: str) -> None:
    client = client_class(provider)
    assert client.provider == provider
    assert client.title
    assert isinstance(client.outcome, Outcome)
    assert client.config_class.settings()


def test_an_unknown_provider_is_not_imported() -> None:
    with pytest.raises(KeyError):
        client_class("client")  # a module of the package, not a provider


def test_modules_are_named_as_sys_modules_has_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Home Assistant's check of imports in the event loop lets one pass only
    when its name is in sys.modules: a relative name always warned."""
    names: list[str] = []
    real = providers.import_module

    def recording(name: str, package: str | None = None) -> Any:
        names.append(name)
        return real(name, package)

    monkeypatch.setattr(providers, "import_module", recording)
    for provider in providers.PROVIDER_IDS:
        providers.client_class(provider)
    assert names
    assert all(name in sys.modules for name in names)
