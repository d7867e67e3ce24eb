"""The registry: each provider's module, loaded on first use."""

from __future__ import annotations

import pytest

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
