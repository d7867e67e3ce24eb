"""Draw the images in custom_components/click_to_call/brand/ from vector source.

Home Assistant 2026.3 and newer serves a custom integration's own icon and
logo from that folder.  The mark and the lettering are geometry below, not a
font file, so every machine draws the same pixels:

    python scripts/brand.py            # write the eight PNG files
    python scripts/brand.py --check    # exit 1, naming the files that differ
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
import math
from pathlib import Path
import sys

from PIL import Image, ImageChops, ImageDraw, ImageStat

BRAND_DIR = (
    Path(__file__).resolve().parent.parent
    / "custom_components"
    / "click_to_call"
    / "brand"
)
SUPERSAMPLE = 4  # draw at 4x, then downscale: smooth edges without a vector renderer
MARGIN = 0.02  # of the shorter side: trimmed, yet resampling cuts off no ink
# Another Pillow may round a few edge pixels differently; a visible change
# moves some channel by far more than this.
TOLERANCE = 2

Point = tuple[float, float]


@dataclass(frozen=True)
class Shape:
    """A polyline stroked `width` wide with round ends and joints.

    Closed, it is filled too, so `width` rounds its corners; with no width it
    is a plain polygon.
    """

    layer: str
    points: tuple[Point, ...]
    width: float = 0.0
    closed: bool = False

    def bounds(self) -> tuple[float, float, float, float]:
        """Return left, top, right, bottom of the ink."""
        pad = self.width / 2
        xs = [x for x, _ in self.points]
        ys = [y for _, y in self.points]
        return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def arc(cx: float, cy: float, r: float, start: float, end: float) -> list[Point]:
    """Return points on a circle from `start` to `end` degrees (90 is down)."""
    steps = max(2, math.ceil(abs(end - start) / 3))
    angles = [math.radians(start + (end - start) * i / steps) for i in range(steps + 1)]
    return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles]


def rotate(points: Iterable[Point], degrees: float) -> tuple[Point, ...]:
    """Turn points clockwise (y grows downwards) about the origin."""
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return tuple((x * cos - y * sin, x * sin + y * cos) for x, y in points)


def place(
    shapes: Iterable[Shape], dx: float, dy: float, scale: float = 1
) -> list[Shape]:
    """Scale shapes about the origin, then move them."""
    return [
        Shape(
            s.layer,
            tuple((x * scale + dx, y * scale + dy) for x, y in s.points),
            s.width * scale,
            s.closed,
        )
        for s in shapes
    ]


def bounds(shapes: Sequence[Shape]) -> tuple[float, float, float, float]:
    """Return the box around all the shapes' ink."""
    boxes = [s.bounds() for s in shapes if s.layer != "gap"]  # a gap has no ink
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


# --- the mark: a mouse pointer clicking in a telephone handset's hollow -------

GAP = 3.5  # clear space cut out of the handset around the pointer and rays
TILT = -45  # the handset's hollow faces the bottom right, where the pointer is


def handset() -> list[Shape]:
    """Return a handset: a bow with a cup at each end, bow's middle at the origin."""
    radius, sweep, thick = 52.0, 40.0, 14.0
    bow = arc(0, radius, radius, -90 - sweep, -90 + sweep)  # hollow below
    shapes = [Shape("phone", tuple(bow), thick)]
    for side in (-1, 1):
        theta = math.radians(-90 + side * sweep)
        end = (radius * math.cos(theta), radius + radius * math.sin(theta))
        along = (-side * math.sin(theta), side * math.cos(theta))  # past the end
        inward = (-math.cos(theta), -math.sin(theta))  # into the hollow
        # (along, inward) corners: flush with the bow's back, narrower inside.
        cup = ((-11.0, -1.0), (5.0, -1.0), (3.0, 13.0), (-7.0, 13.0))
        points = tuple(
            (
                end[0] + a * along[0] + b * inward[0],
                end[1] + a * along[1] + b * inward[1],
            )
            for a, b in cup
        )
        shapes.append(Shape("phone", points, 14.0, closed=True))
    return [Shape(s.layer, rotate(s.points, TILT), s.width, s.closed) for s in shapes]


def pointer() -> list[Shape]:
    """Return a mouse pointer, its tip at the origin, with three 'click' rays."""
    arrow = (
        (0.0, 0.0),
        (0.0, 38.0),
        (9.5, 29.5),
        (16.0, 44.0),
        (23.0, 41.0),
        (16.5, 27.0),
        (29.0, 27.0),
    )
    shapes = [
        Shape("pointer", arrow, 3.0, closed=True),
        Shape("gap", arrow, 3.0 + 2 * GAP, closed=True),
    ]
    for degrees in (180, 225, 270):  # left, up-left, up: away from the arrow
        ray = rotate([(11.5, 0.0), (18.5, 0.0)], degrees)
        shapes += [Shape("pointer", ray, 6.0), Shape("gap", ray, 6.0 + 2 * GAP)]
    return shapes


def mark() -> list[Shape]:
    """Return the icon's shapes."""
    (tip_x, tip_y) = rotate([(1.0, 43.0)], TILT)[0]
    return handset() + place(pointer(), tip_x, tip_y, 0.85)


# --- the lettering: geometric letters stroked with round ends ------------------

CAP, X_HEIGHT, STROKE = 100.0, 72.0, 19.0  # y grows down; the baseline is at CAP
LETTER_GAP, WORD_GAP = 11.0, 34.0
HALF = STROKE / 2
X_TOP = CAP - X_HEIGHT


def ring(diameter: float, opening: float = 0) -> tuple[float, tuple[Point, ...]]:
    """Return a round letter's width and its circle on the baseline, open at right.

    An open letter is as wide as its ink, so its opening adds no space.
    """
    r = (diameter - STROKE) / 2
    width = diameter / 2 + r * math.cos(math.radians(opening)) + HALF
    return width, tuple(
        arc(diameter / 2, CAP - diameter / 2, r, opening, 360 - opening)
    )


def stem(x: float, top: float) -> tuple[Point, ...]:
    """Return a vertical stroke whose ink runs from `top` to the baseline."""
    return ((x, top + HALF), (x, CAP - HALF))


def glyph(letter: str) -> tuple[float, list[tuple[Point, ...]]]:
    """Return a letter's advance width and its strokes' centre lines."""
    small = X_HEIGHT + 2  # round letters overshoot a little, as in type
    if letter == "C":
        width, bowl = ring(CAP + 3, 42)
        return width, [bowl]
    if letter in "co":
        width, bowl = ring(small, 42 if letter == "c" else 0)
        return width, [bowl]
    if letter == "a":
        width, bowl = ring(small)
        return width, [bowl, stem(width - HALF, X_TOP)]
    if letter == "l":
        return STROKE, [stem(HALF, 0)]
    if letter == "i":
        return STROKE, [stem(HALF, X_TOP), ((HALF, HALF + 1),)]  # a stroked dot
    if letter == "k":
        width = 0.82 * X_HEIGHT
        arm = ((HALF, CAP - 0.38 * X_HEIGHT), (width - HALF, X_TOP + HALF))
        leg = (
            (HALF + 0.25 * X_HEIGHT, CAP - 0.52 * X_HEIGHT),
            (width - HALF, CAP - HALF),
        )
        return width, [stem(HALF, 0), arm, leg]
    if letter == "t":
        width = 0.62 * X_HEIGHT
        bar = ((HALF, X_TOP + HALF), (width - HALF, X_TOP + HALF))
        return width, [stem(width / 2, 8), bar]
    raise ValueError(f"no glyph for {letter!r}")


def lettering(text: str) -> list[Shape]:
    """Return the words' shapes from x = 0; the last word is in the accent colour."""
    shapes: list[Shape] = []
    x = 0.0
    words = text.split()
    for index, word in enumerate(words):
        layer = "accent" if index == len(words) - 1 else "text"
        for letter in word:
            advance, strokes = glyph(letter)
            shapes += [
                Shape(layer, tuple((px + x, py) for px, py in s), STROKE)
                for s in strokes
            ]
            x += advance + LETTER_GAP
        x += WORD_GAP - LETTER_GAP
    return shapes


def logo() -> list[Shape]:
    """Return the mark with "Click to Call" to its right, centred on it."""
    icon = mark()
    _, top, right, bottom = bounds(icon)
    height = bottom - top
    scale = 0.45 * height / CAP  # capitals 45% as tall as the mark
    text_top = top + (height - CAP * scale) / 2
    return icon + place(
        lettering("Click to Call"), right + 0.22 * height, text_top, scale
    )


# --- painting -------------------------------------------------------------------

COLOURS = {
    # Light images read on white; dark_ ones on a dark theme (#1c1c1c and so on).
    "": {
        "phone": "#1e88e5",
        "pointer": "#263238",
        "text": "#263238",
        "accent": "#1e88e5",
    },
    "dark_": {
        "phone": "#64b5f6",
        "pointer": "#ffffff",
        "text": "#ffffff",
        "accent": "#64b5f6",
    },
}


def render(
    shapes: Sequence[Shape], size: tuple[int, int], colours: dict[str, str]
) -> Image.Image:
    """Fit the shapes into `size` (centred, aspect kept) and paint them."""
    width, height = size
    left, top, right, bottom = bounds(shapes)
    margin = MARGIN * min(size)
    scale = min(
        (width - 2 * margin) / (right - left), (height - 2 * margin) / (bottom - top)
    )
    dx = (width - (right - left) * scale) / 2 - left * scale
    dy = (height - (bottom - top) * scale) / 2 - top * scale
    big = (width * SUPERSAMPLE, height * SUPERSAMPLE)

    # One coverage mask per colour, drawn large.
    masks: dict[str, Image.Image] = {}
    for shape in place(shapes, dx * SUPERSAMPLE, dy * SUPERSAMPLE, scale * SUPERSAMPLE):
        draw = ImageDraw.Draw(masks.setdefault(shape.layer, Image.new("L", big, 0)))
        if shape.closed or not shape.width:
            draw.polygon(shape.points, fill=255)
        if shape.width:
            line = shape.points + shape.points[:1] if shape.closed else shape.points
            draw.line(line, fill=255, width=round(shape.width), joint="curve")
            r = shape.width / 2  # round ends, and corners `joint` leaves square
            for x, y in shape.points:
                draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    if "gap" in masks:
        masks["phone"] = ImageChops.subtract(masks["phone"], masks.pop("gap"))

    # Straight (not premultiplied) colour: a flat colour with coverage as alpha.
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    for layer, mask in masks.items():
        paint = Image.new("RGBA", size, colours[layer])
        paint.putalpha(mask.resize(size, Image.Resampling.LANCZOS))
        image = Image.alpha_composite(image, paint)
    return image


def render_all() -> dict[str, Image.Image]:
    """Return every brand image by file name."""
    icon, wide = mark(), logo()
    left, top, right, bottom = bounds(wide)
    images = {}
    for prefix, colours in COLOURS.items():
        # Icons are 256 px square (512 hDPI); a logo's shorter side may be
        # 128-256 px (256-512 hDPI), and the largest is preferred.
        for suffix, side in (("", 256), ("@2x", 512)):
            width = round(
                side * ((1 - 2 * MARGIN) * (right - left) / (bottom - top) + 2 * MARGIN)
            )
            images[f"{prefix}icon{suffix}.png"] = render(icon, (side, side), colours)
            images[f"{prefix}logo{suffix}.png"] = render(wide, (width, side), colours)
    return images


def differences(
    directory: Path = BRAND_DIR, drawn: dict[str, Image.Image] | None = None
) -> list[str]:
    """Return the names of the files in `directory` that differ from a drawing."""
    stale = []
    for name, image in (drawn or render_all()).items():
        path = directory / name
        if not path.is_file():
            stale.append(name)
            continue
        with Image.open(path) as saved:
            if saved.mode != "RGBA" or saved.size != image.size:
                stale.append(name)
                continue
            # Premultiplied, so colour under full transparency does not count.
            diff = ImageChops.difference(saved.convert("RGBa"), image.convert("RGBa"))
        if max(high for _, high in ImageStat.Stat(diff).extrema) > TOLERANCE:
            stale.append(name)
    return stale


def main() -> int:
    """Write the images; with --check, fail if any differs from what this draws."""
    if "--check" in sys.argv:
        stale = differences()
        for name in stale:
            print(f"brand/{name} is out of date: run scripts/brand.py")
        return 1 if stale else 0
    BRAND_DIR.mkdir(exist_ok=True)
    for name, image in render_all().items():
        image.save(BRAND_DIR / name, optimize=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
