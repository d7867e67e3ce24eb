"""Home Assistant shows our brand images: served by itself since 2026.3.

Older frontends load images only from the brands website, which no longer
takes custom integrations: there the route does not exist.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

BRAND = Path(__file__).parents[1] / "custom_components" / "click_to_call" / "brand"
SERVES_BRANDS = AwesomeVersion(HA_VERSION) >= AwesomeVersion("2026.3.0")


def test_the_brands_integration_exists_where_expected() -> None:
    assert (find_spec("homeassistant.components.brands") is not None) is SERVES_BRANDS


@pytest.mark.parametrize("image", sorted(path.name for path in BRAND.glob("*.png")))
async def test_each_image_is_served_where_home_assistant_serves_them(
    hass: HomeAssistant,
    integration: None,
    hass_client: ClientSessionGenerator,
    image: str,
) -> None:
    assert await async_setup_component(hass, "http", {})
    if SERVES_BRANDS:
        assert await async_setup_component(hass, "brands", {})
    client = await hass_client()

    response = await client.get(f"/api/brands/integration/click_to_call/{image}")

    if SERVES_BRANDS:
        assert response.status == 200
        assert response.content_type == "image/png"
        assert await response.read() == (BRAND / image).read_bytes()
    else:
        assert response.status == 404
