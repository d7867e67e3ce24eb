"""The brand images are the ones scripts/brand.py draws, and fit Home Assistant's rules."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageStat
import pytest

from scripts.brand import BRAND_DIR, differences, render_all

ICONS = {"icon.png": 256, "icon@2x.png": 512}
LOGOS = {"logo.png": 256, "logo@2x.png": 512}
NAMES = [prefix + name for prefix in ("", "dark_") for name in (*ICONS, *LOGOS)]
INK = 32  # alpha above which a pixel counts as drawn, not resampling's fringe


def load(name: str) -> Image.Image:
    with Image.open(BRAND_DIR / name) as image:
        image.load()
        return image


def ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    box = image.getchannel("A").point(lambda a: 255 if a > INK else 0).getbbox()
    assert box is not None, "nothing drawn"
    return box


@pytest.fixture(scope="module")
def drawn() -> dict[str, Image.Image]:
    return render_all()


@pytest.mark.parametrize("name", NAMES)
def test_file_is_a_transparent_png(name: str) -> None:
    with Image.open(BRAND_DIR / name) as image:
        assert image.format == "PNG"
    image = load(name)
    assert image.mode == "RGBA"
    low, high = image.getchannel("A").getextrema()
    assert low == 0, "no transparent background"
    assert high == 255, "no solid ink"


def test_the_script_draws_exactly_these_files(drawn: dict[str, Image.Image]) -> None:
    assert sorted(drawn) == sorted(NAMES)
    assert sorted(path.name for path in BRAND_DIR.iterdir()) == sorted(NAMES)


def test_committed_files_are_what_the_script_draws(
    drawn: dict[str, Image.Image],
) -> None:
    assert differences(drawn=drawn) == [], "run: python scripts/brand.py"


def test_check_names_changed_and_missing_files(
    drawn: dict[str, Image.Image], tmp_path: Path
) -> None:
    for name, image in drawn.items():
        image.save(tmp_path / name)
    assert differences(tmp_path, drawn) == []

    # Within the tolerance another Pillow's rounding is allowed...
    nudged = drawn["icon.png"].copy()
    solid = nudged.getchannel("A").tobytes().index(255)
    xy = (solid % nudged.width, solid // nudged.width)
    red, green, blue, _ = nudged.getpixel(xy)
    nudged.putpixel(xy, (red, green, blue + 2 if blue < 128 else blue - 2, 255))
    nudged.save(tmp_path / "icon.png")
    assert differences(tmp_path, drawn) == []

    # ...a visible change is not, nor a missing or resized file.
    changed = drawn["logo.png"].copy()
    changed.paste((255, 0, 0, 255), (0, 0, 20, 20))
    changed.save(tmp_path / "logo.png")
    (tmp_path / "dark_icon.png").unlink()
    drawn["icon.png"].resize((255, 255)).save(tmp_path / "icon@2x.png")
    assert sorted(differences(tmp_path, drawn)) == [
        "dark_icon.png",
        "icon@2x.png",
        "logo.png",
    ]


@pytest.mark.parametrize("prefix", ["", "dark_"])
@pytest.mark.parametrize(("name", "side"), ICONS.items())
def test_icon_is_square_and_trimmed(prefix: str, name: str, side: int) -> None:
    image = load(prefix + name)
    assert image.size == (side, side)
    left, top, right, bottom = ink_box(image)
    margins = (left, top, side - right, side - bottom)
    # The mark is taller than wide: it spans the height, centred across.
    assert max(margins[1], margins[3]) <= 0.03 * side
    assert max(margins[0], margins[2]) <= 0.1 * side
    assert abs(margins[0] - margins[2]) <= 0.01 * side


@pytest.mark.parametrize("prefix", ["", "dark_"])
@pytest.mark.parametrize(("name", "side"), LOGOS.items())
def test_logo_is_landscape_and_trimmed(prefix: str, name: str, side: int) -> None:
    image = load(prefix + name)
    width, height = image.size
    # The shorter side may be 128-256 px (256-512 hDPI); the largest is preferred.
    assert height == side
    assert width > 3 * height, "the words sit to the right of the mark"
    left, top, right, bottom = ink_box(image)
    assert max(left, top, width - right, height - bottom) <= 0.03 * height


def test_hdpi_images_are_the_same_drawing_twice_as_large() -> None:
    for prefix in ("", "dark_"):
        for stem in ("icon", "logo"):
            small, large = load(f"{prefix}{stem}.png"), load(f"{prefix}{stem}@2x.png")
            assert abs(large.width - 2 * small.width) <= 1
            assert large.height == 2 * small.height
            shrunk = large.resize(small.size, Image.Resampling.LANCZOS)
            alpha = ImageStat.Stat(shrunk.getchannel("A")).mean[0]
            assert abs(alpha - ImageStat.Stat(small.getchannel("A")).mean[0]) < 2


@pytest.mark.parametrize("name", [*ICONS, *LOGOS])
def test_dark_variant_is_the_same_shape_in_lighter_colours(name: str) -> None:
    light, dark = load(name), load("dark_" + name)
    assert light.size == dark.size
    assert light.getchannel("A").tobytes() == dark.getchannel("A").tobytes()
    assert light.tobytes() != dark.tobytes()

    def brightness(image: Image.Image) -> float:
        # Mean grey level of the solid ink only.
        solid = image.getchannel("A").point(lambda a: 255 if a == 255 else 0)
        return float(ImageStat.Stat(image.convert("L"), solid).mean[0])

    # Light images need dark ink for white pages; dark ones, light ink.
    assert brightness(light) < 128 < brightness(dark)
