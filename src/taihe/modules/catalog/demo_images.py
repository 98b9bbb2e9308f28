"""Stand-in photographs for the demo collection, drawn rather than shipped.

Each category gets an object in its typical shape and colours on a grey studio sweep with a
soft floor shadow, the way museum object photography is lit, so that grids, viewers and the
IIIF tiles look like a real collection. Everything is drawn with Pillow primitives and numpy
noise from a seeded generator: the same (category, seed) always gives the same pixels, and
no font or file is needed.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

RGB = tuple[int, int, int]
Point = tuple[float, float]
Rng = np.random.Generator

# --- the studio ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stage:
    """Drawing area: converts fractions of the image into pixels."""

    width: int
    height: int

    def x(self, fraction: float) -> int:
        return round(fraction * self.width)

    def y(self, fraction: float) -> int:
        return round(fraction * self.height)

    def box(self, left: float, top: float, right: float, bottom: float) -> tuple[int, ...]:
        return (self.x(left), self.y(top), self.x(right), self.y(bottom))


def _studio(stage: _Stage, rng: Rng) -> Image.Image:
    """A grey paper sweep: the wall darkens upwards, the floor is nearly even."""
    top = np.array([188, 186, 182]) + rng.integers(-12, 12)
    bottom = np.array([228, 226, 222]) + rng.integers(-8, 8)
    tint = rng.integers(-4, 5, size=3)
    rows = np.linspace(0.0, 1.0, stage.height)[:, None]
    ramp = np.clip(rows * 1.6, 0, 1) ** 0.8
    column = np.clip(top + (bottom - top) * ramp + tint, 0, 255).astype(np.uint8)
    # Repeating one column is far cheaper than resizing or computing every pixel.
    pixels = np.repeat(column[:, None, :], stage.width, axis=1)
    return Image.fromarray(pixels, "RGB")


def _floor_shadow(canvas: Image.Image, centre_x: int, floor_y: int, half_width: int,
                  strength: int = 110) -> None:
    """A soft contact shadow under an object standing on the sweep (drawn small, blurred
    and enlarged over its own patch only)."""
    left, top = centre_x - half_width * 1.4, floor_y - half_width * 0.3
    size = (max(8, int(half_width * 2.8)), max(8, int(half_width * 0.6)))
    scale = 8
    small = Image.new("L", (max(2, size[0] // scale), max(2, size[1] // scale)), 0)
    ImageDraw.Draw(small).ellipse(
        (half_width * 0.3 / scale, half_width * 0.18 / scale,
         half_width * 2.5 / scale, half_width * 0.46 / scale), fill=strength)
    mask = small.filter(ImageFilter.GaussianBlur(2)).resize(size, Image.Resampling.BILINEAR)
    canvas.paste((60, 58, 56), (int(left), int(top)), mask)


def _drop_shadow(canvas: Image.Image, box: Sequence[int], offset: int, blur: int,
                 strength: int) -> None:
    """The soft shadow of a flat object (scroll, textile) lying close to the backdrop."""
    scale = 8
    margin = blur * 3
    size = (box[2] - box[0] + 2 * margin, box[3] - box[1] + 2 * margin)
    small = Image.new("L", (max(2, size[0] // scale), max(2, size[1] // scale)), 0)
    ImageDraw.Draw(small).rectangle((margin // scale, margin // scale,
                                     (size[0] - margin) // scale, (size[1] - margin) // scale),
                                    fill=strength)
    mask = small.filter(ImageFilter.BoxBlur(max(1, blur // scale))).resize(
        size, Image.Resampling.BILINEAR)
    canvas.paste((60, 58, 56), (box[0] - margin + offset, box[1] - margin + offset), mask)


def _grey(image: Image.Image) -> Image.Image:
    """An L image as RGB, to multiply or screen a colour image by it."""
    return image.convert("RGB")


def _surface(size: tuple[int, int], base: RGB, rng: Rng, *, mottle: RGB | None = None,
             grain: int = 24, amount: float = 0.5) -> Image.Image:
    """A flat colour with low-frequency mottling towards ``mottle`` (patina, jade clouds)
    and a fine grain; made at half size and enlarged once."""
    half = (max(2, size[0] // 2), max(2, size[1] // 2))
    colour = np.empty((half[1], half[0], 3), dtype=np.int32)
    colour[:] = base
    if mottle is not None:
        cells = (max(2, half[0] // grain * 2), max(2, half[1] // grain * 2))
        blotches = Image.fromarray(rng.integers(0, 256, size=(cells[1], cells[0]),
                                                dtype=np.uint8), "L")
        weight = np.asarray(blotches.resize(half, Image.Resampling.BICUBIC), dtype=np.int32)
        # Blotches cover about ``amount`` of the surface, with soft edges.
        threshold = round(255 * (1 - amount))
        weight = np.clip((weight - threshold) * 3, 0, 255)[:, :, None]
        colour += (np.array(mottle, dtype=np.int32) - colour) * weight // 255
    colour += rng.integers(-6, 7, size=(half[1], half[0], 1), dtype=np.int32)
    image = Image.fromarray(np.clip(colour, 0, 255).astype(np.uint8), "RGB")
    return image.resize(size, Image.Resampling.BILINEAR)


def _cosine_profile(points: Sequence[Point], samples: int) -> np.ndarray:
    """Half-widths along a lathe profile ``[(height fraction, half-width), …]`` with smooth
    (cosine) transitions between the given points."""
    heights = np.linspace(0.0, 1.0, samples)
    known = np.array(points, dtype=float)
    radii = np.empty(samples)
    for index, height in enumerate(heights):
        upper = int(np.searchsorted(known[:, 0], height, side="right"))
        upper = min(max(upper, 1), len(known) - 1)
        (h0, r0), (h1, r1) = known[upper - 1], known[upper]
        fraction = 0.0 if h1 == h0 else min(1.0, max(0.0, (height - h0) / (h1 - h0)))
        radii[index] = r0 + (r1 - r0) * (1 - np.cos(np.pi * fraction)) / 2
    return radii


def _lathe_shading(size: tuple[int, int], radii: np.ndarray, *, light: float,
                   ambient: float, shine: float, gloss: float) -> Image.Image:
    """Light on a turned vessel: each row is a cylinder of that row's radius, lit from the
    upper left. ``radii`` are fractions of the half-width of ``size``."""
    width, height = max(2, size[0] // 4), max(2, size[1] // 4)
    rows = np.interp(np.linspace(0, 1, height), np.linspace(0, 1, len(radii)), radii)
    across = np.linspace(-1.0, 1.0, width)[None, :] / np.maximum(rows[:, None], 1e-3)
    normal = np.clip(across, -1.0, 1.0)
    diffuse = np.clip(np.cos((normal - light) * np.pi / 2.2), 0.0, 1.0)
    highlight = np.exp(-(((normal - light * 0.9) / gloss) ** 2))
    value = ambient + (1 - ambient) * diffuse + shine * highlight
    image = Image.fromarray(np.clip(value * 200, 0, 255).astype(np.uint8), "L")
    return image.resize(size, Image.Resampling.BILINEAR)


def _apply_light(surface: Image.Image, shading: Image.Image) -> Image.Image:
    """Darken by the shading below 200 and brighten (screen) above it."""
    dark = ImageChops.multiply(surface, _grey(shading.point(
        lambda value: min(255, value * 255 // 200))))
    shine = shading.point(lambda value: max(0, (value - 200) * 4))
    return ImageChops.screen(dark, _grey(shine))


def _lathe_polygon(radii: np.ndarray, width: int, height: int) -> list[Point]:
    centre = width / 2
    ys = np.linspace(0, height - 1, len(radii))
    left = [(centre - radius * centre, y) for radius, y in zip(radii, ys, strict=True)]
    right = [(centre + radius * centre, y) for radius, y in zip(radii, ys, strict=True)]
    return left + right[::-1]


def _vessel(canvas: Image.Image, box: tuple[int, ...], profile: Sequence[Point],
            surface: Image.Image, *, light: float = -0.45, ambient: float = 0.35,
            shine: float = 0.4, gloss: float = 0.18,
            decorate: Callable[[ImageDraw.ImageDraw, np.ndarray, int, int], None] | None = None,
            ) -> np.ndarray:
    """Paste a turned vessel (vase, bowl, beaker) into ``box``; returns its radii."""
    width, height = box[2] - box[0], box[3] - box[1]
    radii = _cosine_profile(profile, 160)
    if decorate is not None:
        decorate(ImageDraw.Draw(surface), radii, width, height)
    shading = _lathe_shading((width, height), radii, light=light, ambient=ambient,
                             shine=shine, gloss=gloss)
    lit = _apply_light(surface, shading)
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).polygon(_lathe_polygon(radii, width, height), fill=255)
    canvas.paste(lit, (box[0], box[1]), mask)
    return radii


def _half_width_at(radii: np.ndarray, fraction: float, width: int) -> float:
    return float(np.interp(fraction, np.linspace(0, 1, len(radii)), radii)) * width / 2


def _band(draw: ImageDraw.ImageDraw, radii: np.ndarray, width: int, height: int,
          top: float, bottom: float, fill: RGB) -> None:
    """A horizontal band following the vessel's outline between two height fractions."""
    centre = width / 2
    upper = _half_width_at(radii, top, width)
    lower = _half_width_at(radii, bottom, width)
    draw.polygon([(centre - upper, top * height), (centre + upper, top * height),
                  (centre + lower, bottom * height), (centre - lower, bottom * height)],
                 fill=fill)


def _scroll_line(draw: ImageDraw.ImageDraw, rng: Rng, left: float, right: float, y: float,
                 amplitude: float, colour: RGB, width: int) -> list[Point]:
    """A wavy scrolling stem (lotus scroll, cloud band); returns its crest points."""
    xs = np.linspace(left, right, 60)
    phase = rng.uniform(0, np.pi * 2)
    turns = rng.uniform(2.5, 4.0)
    ys = y + amplitude * np.sin(np.linspace(0, np.pi * 2 * turns, 60) + phase)
    points = list(zip(xs.tolist(), ys.tolist(), strict=True))
    draw.line(points, fill=colour, width=width, joint="curve")
    return points[::10]


def _flower(draw: ImageDraw.ImageDraw, centre: Point, radius: float, petals: int,
            colour: RGB, heart: RGB) -> None:
    for index in range(petals):
        angle = 2 * np.pi * index / petals
        px = centre[0] + np.cos(angle) * radius * 0.6
        py = centre[1] + np.sin(angle) * radius * 0.6
        draw.ellipse((px - radius * 0.45, py - radius * 0.45,
                      px + radius * 0.45, py + radius * 0.45), fill=colour)
    draw.ellipse((centre[0] - radius * 0.3, centre[1] - radius * 0.3,
                  centre[0] + radius * 0.3, centre[1] + radius * 0.3), fill=heart)


def _mix(colour: RGB, other: RGB, amount: float) -> RGB:
    return (round(colour[0] + (other[0] - colour[0]) * amount),
            round(colour[1] + (other[1] - colour[1]) * amount),
            round(colour[2] + (other[2] - colour[2]) * amount))


def _pick(rng: Rng, colours: Sequence[RGB]) -> RGB:
    return colours[int(rng.integers(len(colours)))]


# --- bronze -------------------------------------------------------------------------------

_PATINA_BASES: tuple[RGB, ...] = ((92, 96, 70), (104, 86, 58), (78, 90, 74), (96, 78, 56))
_PATINA_CRUST: tuple[RGB, ...] = ((84, 146, 118), (104, 156, 122), (70, 128, 110))


def _bronze(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    base, crust = _pick(rng, _PATINA_BASES), _pick(rng, _PATINA_CRUST)
    if rng.random() < 0.5:
        _bronze_ding(canvas, stage, rng, base, crust)
    else:
        _bronze_gu(canvas, stage, rng, base, crust)


def _taotie_band(draw: ImageDraw.ImageDraw, radii: np.ndarray, width: int, height: int,
                 top: float, bottom: float, colour: RGB) -> None:
    """A band of squared spirals (leiwen) like the cast décor under a bronze rim."""
    half = _half_width_at(radii, (top + bottom) / 2, width)
    centre, y0, y1 = width / 2, top * height, bottom * height
    step = (y1 - y0) * 0.9
    x = centre - half
    while x < centre + half - step:
        draw.rectangle((x, y0 + step * 0.1, x + step * 0.8, y1 - step * 0.1), outline=colour,
                       width=max(2, width // 160))
        draw.rectangle((x + step * 0.25, y0 + step * 0.35, x + step * 0.55, y1 - step * 0.35),
                       outline=colour, width=max(2, width // 200))
        x += step


def _bronze_ding(canvas: Image.Image, stage: _Stage, rng: Rng, base: RGB,
                 crust: RGB) -> None:
    body_width = rng.uniform(0.56, 0.7)
    left, right = 0.5 - body_width / 2, 0.5 + body_width / 2
    top, body_bottom, floor = rng.uniform(0.36, 0.42), rng.uniform(0.64, 0.68), 0.82
    _floor_shadow(canvas, stage.x(0.5), stage.y(floor), stage.x(body_width / 2))
    dark = _mix(base, (30, 30, 25), 0.55)
    draw = ImageDraw.Draw(canvas)
    # Three legs: the middle one behind, drawn first and darker.
    leg_width = stage.x(body_width * 0.09)
    for position, shade in ((0.5, 0.7), (left + body_width * 0.17, 0.45),
                            (right - body_width * 0.17, 0.45)):
        centre = stage.x(position)
        draw.polygon([(centre - leg_width, stage.y(body_bottom - 0.03)),
                      (centre + leg_width, stage.y(body_bottom - 0.03)),
                      (centre + leg_width * 0.7, stage.y(floor)),
                      (centre - leg_width * 0.7, stage.y(floor))],
                     fill=_mix(base, (20, 20, 18), shade))
    # Two upright loop handles on the rim.
    ear_height = stage.y(rng.uniform(0.09, 0.12))
    for position in (left + body_width * 0.16, right - body_width * 0.16):
        centre, ear = stage.x(position), stage.x(body_width * 0.08)
        draw.rectangle((centre - ear, stage.y(top) - ear_height, centre + ear,
                        stage.y(top) + 4), fill=dark)
        draw.rectangle((centre - ear * 0.5, stage.y(top) - ear_height * 0.75,
                        centre + ear * 0.5, stage.y(top) - ear_height * 0.15),
                       fill=canvas.getpixel((centre, stage.y(top) - ear_height - 4)))
    box = stage.box(left, top, right, body_bottom)
    size = (box[2] - box[0], box[3] - box[1])
    surface = _surface(size, base, rng, mottle=crust, grain=18, amount=rng.uniform(0.3, 0.6))

    def decorate(draw: ImageDraw.ImageDraw, radii: np.ndarray, width: int,
                 height: int) -> None:
        _band(draw, radii, width, height, 0.0, 0.07, _mix(base, (160, 140, 100), 0.2))
        _taotie_band(draw, radii, width, height, 0.12, 0.42, dark)

    _vessel(canvas, box, [(0.0, 1.0), (0.07, 0.96), (0.35, 0.98), (0.8, 0.82), (1.0, 0.55)],
            surface, ambient=0.3, shine=0.25, gloss=0.25, decorate=decorate)


def _bronze_gu(canvas: Image.Image, stage: _Stage, rng: Rng, base: RGB, crust: RGB) -> None:
    height = rng.uniform(0.6, 0.7)
    width = height * rng.uniform(0.5, 0.6) * stage.height / stage.width
    floor = 0.84
    box = stage.box(0.5 - width / 2, floor - height, 0.5 + width / 2, floor)
    _floor_shadow(canvas, stage.x(0.5), stage.y(floor), stage.x(width * 0.3))
    size = (box[2] - box[0], box[3] - box[1])
    surface = _surface(size, base, rng, mottle=crust, grain=14, amount=rng.uniform(0.3, 0.7))
    dark = _mix(base, (30, 30, 25), 0.55)
    waist = rng.uniform(0.16, 0.22)

    def decorate(draw: ImageDraw.ImageDraw, radii: np.ndarray, width: int,
                 height: int) -> None:
        _taotie_band(draw, radii, width, height, 0.5, 0.64, dark)
        _taotie_band(draw, radii, width, height, 0.74, 0.86, dark)
        for index in range(12):  # rising blades on the trumpet mouth
            x = width / 2 + (index - 5.5) * width * 0.05
            draw.line((x, height * 0.1, width / 2 + (x - width / 2) * 0.4, height * 0.42),
                      fill=dark, width=max(2, width // 120))

    _vessel(canvas, box, [(0.0, 1.0), (0.42, waist * 1.2), (0.5, waist * 1.5),
                          (0.64, waist * 1.6), (0.72, waist * 1.3), (1.0, 0.62)],
            surface, ambient=0.3, shine=0.25, gloss=0.25, decorate=decorate)


# --- jade ---------------------------------------------------------------------------------

_JADE: tuple[tuple[RGB, RGB], ...] = (
    ((168, 184, 150), (214, 216, 190)),   # celadon with pale clouds
    ((96, 128, 92), (60, 84, 62)),        # spinach green
    ((222, 218, 196), (196, 178, 140)),   # mutton-fat white with russet
    ((150, 150, 118), (112, 100, 72)),    # greyish, calcified
)


def _jade(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    body, cloud = _JADE[int(rng.integers(len(_JADE)))]
    if rng.random() < 0.5:
        _jade_bi(canvas, stage, rng, body, cloud)
    else:
        _jade_cong(canvas, stage, rng, body, cloud)


def _jade_bi(canvas: Image.Image, stage: _Stage, rng: Rng, body: RGB, cloud: RGB) -> None:
    radius = stage.x(rng.uniform(0.3, 0.38))
    centre = (stage.x(0.5), stage.y(0.5))
    hole = radius * rng.uniform(0.22, 0.34)
    _floor_shadow(canvas, centre[0], centre[1] + radius + radius // 12, radius // 2, 80)
    size = (radius * 2, radius * 2)
    surface = _surface(size, body, rng, mottle=cloud, grain=30, amount=0.6)
    draw = ImageDraw.Draw(surface)
    rim = _mix(body, (40, 50, 40), 0.25)
    draw.ellipse((radius * 0.06, radius * 0.06, radius * 1.94, radius * 1.94), outline=rim,
                 width=max(2, radius // 80))
    # Grain pattern (gu wen): rows of small raised commas between rim and hole.
    spacing = radius * rng.uniform(0.07, 0.1)
    for gy in np.arange(spacing, radius * 2, spacing).tolist():
        start = spacing + (gy // spacing % 2) * spacing / 2
        for gx in np.arange(start, radius * 2, spacing).tolist():
            distance = float(np.hypot(gx - radius, gy - radius))
            if hole + spacing * 0.6 < distance < radius * 0.9:
                dot = spacing * 0.22
                draw.ellipse((gx - dot, gy - dot, gx + dot, gy + dot),
                             fill=_mix(body, (255, 255, 240), 0.25), outline=rim)
    shading = Image.radial_gradient("L").resize(size).point(lambda value: 255 - value // 4)
    lit = ImageChops.multiply(surface, _grey(shading))
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
    ImageDraw.Draw(mask).ellipse((radius - hole, radius - hole, radius + hole, radius + hole),
                                 fill=0)
    canvas.paste(lit, (centre[0] - radius, centre[1] - radius), mask)


def _jade_cong(canvas: Image.Image, stage: _Stage, rng: Rng, body: RGB, cloud: RGB) -> None:
    height = rng.uniform(0.45, 0.62)
    width = rng.uniform(0.34, 0.42)
    floor = 0.8
    top = floor - height
    _floor_shadow(canvas, stage.x(0.5), stage.y(floor), stage.x(width * 0.6))
    left, right = 0.5 - width / 2, 0.5 + width / 2
    box = stage.box(left, top + 0.04, right, floor)
    size = (box[2] - box[0], box[3] - box[1])
    surface = _surface(size, body, rng, mottle=cloud, grain=26, amount=0.55)
    draw = ImageDraw.Draw(surface)
    # Two faces meeting at the front corner, the right one in shadow.
    shadow = Image.new("L", size, 0)
    ImageDraw.Draw(shadow).rectangle((size[0] // 2, 0, size[0], size[1]), fill=70)
    surface.paste((30, 36, 30), (0, 0), shadow)
    groove = _mix(body, (30, 36, 30), 0.45)
    sections = int(rng.integers(3, 7))
    for index in range(1, sections):
        y = size[1] * index / sections
        draw.line((0, y, size[0], y), fill=groove, width=max(3, size[1] // 120))
        for side in (0.25, 0.75):  # the stylised eyes at each corner face
            cx, cy = size[0] * side, y - size[1] / sections / 2
            eye = size[0] * 0.05
            draw.ellipse((cx - eye, cy - eye, cx + eye, cy + eye), outline=groove,
                         width=max(2, size[0] // 150))
    canvas.paste(surface, (box[0], box[1]))
    # The round collar on top, seen slightly from above.
    collar = stage.box(0.5 - width * 0.36, top, 0.5 + width * 0.36, top + 0.08)
    collar_draw = ImageDraw.Draw(canvas)
    collar_draw.rectangle((collar[0], (collar[1] + collar[3]) // 2, collar[2],
                           box[1] + 6), fill=_mix(body, (20, 24, 20), 0.25))
    collar_draw.ellipse(collar, fill=_mix(body, (255, 255, 240), 0.15))
    inner = (collar[0] + (collar[2] - collar[0]) * 0.22, collar[1] + (collar[3] - collar[1])
             * 0.22, collar[2] - (collar[2] - collar[0]) * 0.22,
             collar[3] - (collar[3] - collar[1]) * 0.22)
    collar_draw.ellipse(inner, fill=_mix(body, (20, 24, 20), 0.6))


# --- porcelain ----------------------------------------------------------------------------

_COBALT: tuple[RGB, ...] = ((36, 58, 128), (28, 44, 110), (52, 72, 140))
_CELADON: tuple[RGB, ...] = ((150, 178, 148), (164, 186, 160), (128, 160, 140))


def _porcelain(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    if rng.random() < 0.6:
        _blue_and_white_vase(canvas, stage, rng)
    else:
        _celadon_bowl(canvas, stage, rng)


def _blue_and_white_vase(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    height = rng.uniform(0.6, 0.7)
    width = height * rng.uniform(0.55, 0.7) * stage.height / stage.width
    floor = 0.86
    box = stage.box(0.5 - width / 2, floor - height, 0.5 + width / 2, floor)
    _floor_shadow(canvas, stage.x(0.5), stage.y(floor), stage.x(width * 0.3))
    size = (box[2] - box[0], box[3] - box[1])
    glaze = (236, 238, 234)
    surface = _surface(size, glaze, rng, mottle=(222, 228, 232), grain=40, amount=0.3)
    blue = _pick(rng, _COBALT)
    meiping = rng.random() < 0.5
    profile = ([(0.0, 0.22), (0.05, 0.2), (0.09, 0.5), (0.2, 0.98), (0.45, 0.9),
                (0.85, 0.58), (1.0, 0.6)] if meiping else
               [(0.0, 0.42), (0.12, 0.3), (0.25, 0.34), (0.4, 0.88), (0.62, 0.98),
                (0.9, 0.6), (1.0, 0.62)])

    def decorate(draw: ImageDraw.ImageDraw, radii: np.ndarray, width: int,
                 height: int) -> None:
        line = max(2, width // 140)
        shoulder, foot = (0.12, 0.22) if meiping else (0.3, 0.4)
        _band(draw, radii, width, height, shoulder, shoulder + 0.012, blue)
        for index in range(10):  # lappets on the shoulder
            x = width * (0.1 + index * 0.09)
            draw.arc((x - width * 0.05, height * shoulder - height * 0.05, x + width * 0.05,
                      height * (foot - 0.01)), 0, 180, fill=blue, width=line)
        _band(draw, radii, width, height, foot, foot + 0.01, blue)
        _band(draw, radii, width, height, 0.86, 0.87, blue)
        _band(draw, radii, width, height, 0.93, 0.94, blue)
        crests = _scroll_line(draw, rng, width * 0.05, width * 0.95,
                              height * (foot + 0.86) / 2, height * 0.12, blue, line * 2)
        for cx, cy in crests:
            _flower(draw, (cx, cy + height * rng.uniform(-0.06, 0.06)),
                    width * rng.uniform(0.05, 0.08), 6, blue, glaze)
            draw.ellipse((cx - width * 0.05, cy - height * 0.1, cx + width * 0.02,
                          cy - height * 0.07), fill=blue)

    _vessel(canvas, box, profile, surface, ambient=0.72, shine=0.9, gloss=0.08,
            decorate=decorate)


def _celadon_bowl(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    width = rng.uniform(0.6, 0.74)
    height = width * rng.uniform(0.4, 0.5) * stage.width / stage.height
    floor = 0.7
    colour = _pick(rng, _CELADON)
    _floor_shadow(canvas, stage.x(0.5), stage.y(floor), stage.x(width * 0.25))
    # The inside, seen over the rim.
    rim_depth = height * 0.22
    inside = stage.box(0.5 - width / 2, floor - height - rim_depth / 2, 0.5 + width / 2,
                       floor - height + rim_depth / 2)
    ImageDraw.Draw(canvas).ellipse(inside, fill=_mix(colour, (40, 50, 40), 0.3))
    box = stage.box(0.5 - width / 2, floor - height, 0.5 + width / 2, floor)
    size = (box[2] - box[0], box[3] - box[1])
    surface = _surface(size, colour, rng, mottle=_mix(colour, (255, 255, 255), 0.3),
                       grain=40, amount=0.3)
    draw = ImageDraw.Draw(surface)
    for _ in range(int(rng.integers(8, 20))):  # crackle in the glaze
        x, y = rng.uniform(0, size[0]), rng.uniform(0, size[1])
        points = [(x, y)]
        for _step in range(5):
            x += rng.uniform(-30, 30)
            y += rng.uniform(-30, 30)
            points.append((x, y))
        draw.line(points, fill=_mix(colour, (60, 60, 50), 0.35), width=1)
    _vessel(canvas, box, [(0.0, 1.0), (0.45, 0.9), (0.85, 0.45), (0.86, 0.34), (1.0, 0.34)],
            surface, ambient=0.5, shine=0.7, gloss=0.1)
    front_rim = stage.box(0.5 - width / 2, floor - height - rim_depth / 2, 0.5 + width / 2,
                          floor - height + rim_depth / 2)
    ImageDraw.Draw(canvas).arc(front_rim, 0, 180, fill=_mix(colour, (255, 255, 255), 0.4),
                               width=max(2, stage.width // 300))


# --- lacquer ------------------------------------------------------------------------------

_CINNABAR: tuple[RGB, ...] = ((168, 40, 30), (150, 34, 28), (182, 58, 36))


def _lacquer(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    red = _pick(rng, _CINNABAR)
    deep = _mix(red, (40, 6, 4), 0.5)
    width = rng.uniform(0.58, 0.74)
    depth = width * rng.uniform(0.3, 0.45) * stage.width / stage.height
    side = rng.uniform(0.14, 0.22)
    floor = 0.74
    top = floor - side - depth
    _floor_shadow(canvas, stage.x(0.5), stage.y(floor - depth / 2), stage.x(width / 2))
    draw = ImageDraw.Draw(canvas)
    round_box = rng.random() < 0.5
    lid = stage.box(0.5 - width / 2, top, 0.5 + width / 2, top + depth)
    body = stage.box(0.5 - width / 2, top + depth / 2, 0.5 + width / 2, floor - depth / 2)
    bottom = stage.box(0.5 - width / 2, floor - depth, 0.5 + width / 2, floor)
    size = (body[2] - body[0], body[3] - body[1])
    side_surface = _surface(size, _mix(red, (0, 0, 0), 0.15), rng, grain=8)
    side_draw = ImageDraw.Draw(side_surface)
    step = max(6, size[1] // 10)
    for x in range(-size[1], size[0], step):  # diaper (diamond) carving on the sides
        side_draw.line((x, 0, x + size[1], size[1]), fill=deep, width=2)
        side_draw.line((x + size[1], 0, x, size[1]), fill=deep, width=2)
    shade = _lathe_shading(size, np.full(20, 1.0), light=-0.4, ambient=0.45, shine=0.3,
                           gloss=0.2)
    side_surface = _apply_light(side_surface, shade)
    if round_box:
        draw.ellipse(bottom, fill=_mix(red, (0, 0, 0), 0.35))
        canvas.paste(side_surface, (body[0], body[1]))
    else:
        draw.rectangle((bottom[0], (bottom[1] + bottom[3]) // 2, bottom[2], bottom[3]),
                       fill=_mix(red, (0, 0, 0), 0.35))
        canvas.paste(side_surface, (body[0], body[1]))
    size = (lid[2] - lid[0], lid[3] - lid[1])
    top_surface = _surface(size, red, rng, grain=10)
    top_draw = ImageDraw.Draw(top_surface)
    centre = (size[0] / 2, size[1] / 2)
    for ring in (0.92, 0.8):
        top_draw.ellipse((centre[0] * (1 - ring), centre[1] * (1 - ring),
                          centre[0] * (1 + ring), centre[1] * (1 + ring)), outline=deep,
                         width=max(2, size[0] // 150))
    for _ in range(int(rng.integers(5, 9))):  # carved peonies and leaves in the medallion
        angle, distance = rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 0.5)
        point = (centre[0] + np.cos(angle) * centre[0] * distance,
                 centre[1] + np.sin(angle) * centre[1] * distance)
        _flower(top_draw, point, size[0] * rng.uniform(0.05, 0.08), 8,
                _mix(red, (255, 180, 160), 0.15), deep)
    mask = Image.new("L", size, 0)
    if round_box:
        ImageDraw.Draw(mask).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
    else:
        ImageDraw.Draw(mask).rectangle((0, 0, size[0] - 1, size[1] - 1), fill=255)
    highlight = Image.linear_gradient("L").rotate(45).resize(size).point(
        lambda value: 150 + value // 3)
    top_surface = ImageChops.multiply(top_surface, _grey(highlight))
    canvas.paste(top_surface, (lid[0], lid[1]), mask)


# --- textiles -----------------------------------------------------------------------------

_SILK_GROUNDS: tuple[RGB, ...] = ((32, 48, 96), (150, 34, 38), (196, 150, 52),
                                  (40, 90, 70), (110, 40, 80))
_SILK_MOTIFS: tuple[RGB, ...] = ((214, 178, 84), (236, 224, 196), (70, 130, 170),
                                 (200, 90, 60), (120, 160, 90))


def _textile(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    ground = _pick(rng, _SILK_GROUNDS)
    motif, second = _pick(rng, _SILK_MOTIFS), _pick(rng, _SILK_MOTIFS)
    box = stage.box(0.14, rng.uniform(0.1, 0.16), 0.86, rng.uniform(0.84, 0.9))
    size = (box[2] - box[0], box[3] - box[1])
    panel = _surface(size, ground, rng, mottle=_mix(ground, (0, 0, 0), 0.3), grain=60,
                     amount=0.3)
    draw = ImageDraw.Draw(panel)
    border = size[0] * 0.07
    draw.rectangle((0, 0, size[0], size[1]), outline=motif, width=round(border * 0.25))
    cell = size[0] * rng.uniform(0.16, 0.24)
    roundel = rng.random() < 0.5
    row = 0
    y = border + cell / 2
    while y < size[1] - border:
        x = border + cell / 2 + (cell / 2 if row % 2 else 0)
        while x < size[0] - border:
            radius = cell * 0.36
            if roundel:
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=motif,
                             width=max(2, round(cell / 14)))
                _flower(draw, (x, y), radius * 0.7, 5, second, motif)
            else:
                draw.polygon([(x, y - radius), (x + radius, y), (x, y + radius),
                              (x - radius, y)], outline=motif, width=max(2, round(cell / 14)))
                draw.ellipse((x - radius * 0.3, y - radius * 0.3, x + radius * 0.3,
                              y + radius * 0.3), fill=second)
            x += cell
        y += cell * 0.8
        row += 1
    # The weave: fine horizontal ribs.
    ribs = np.tile(np.array([255, 236, 246], dtype=np.uint8), size[1] // 3 + 1)[: size[1]]
    rib_rgb = np.repeat(np.repeat(ribs[:, None, None], size[0], axis=1), 3, axis=2)
    panel = ImageChops.multiply(panel, Image.fromarray(rib_rgb, "RGB"))
    # Laid flat with slightly uneven edges, as old silk lies.
    mask = Image.new("L", size, 0)
    wobble = size[0] * 0.008
    outline = ([(rng.uniform(-wobble, wobble), y) for y in np.linspace(0, size[1], 12)]
               + [(size[0] + rng.uniform(-wobble, wobble), y)
                  for y in np.linspace(size[1], 0, 12)])
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    _drop_shadow(canvas, box, offset=stage.width // 120, blur=24, strength=80)
    canvas.paste(panel, (box[0], box[1]), mask)


# --- scrolls: painting and calligraphy ------------------------------------------------------

_MOUNTS: tuple[RGB, ...] = ((178, 184, 176), (196, 184, 150), (150, 164, 170), (170, 150, 120))
_PAPER: tuple[RGB, ...] = ((222, 208, 172), (214, 196, 156), (230, 220, 192), (200, 178, 136))
_SEAL_RED: RGB = (178, 36, 32)


def _scroll(canvas: Image.Image, stage: _Stage, rng: Rng) -> tuple[int, int, int, int]:
    """Draw a hanging scroll's mounting; returns the picture area (left, top, right, bottom)."""
    mount, paper = _pick(rng, _MOUNTS), _pick(rng, _PAPER)
    width = rng.uniform(0.36, 0.46)
    left, right = 0.5 - width / 2, 0.5 + width / 2
    top, bottom = 0.05, 0.93
    draw = ImageDraw.Draw(canvas)
    outer = stage.box(left, top, right, bottom)
    _drop_shadow(canvas, outer, offset=stage.width // 100, blur=24, strength=90)
    mount_size = (outer[2] - outer[0], outer[3] - outer[1])
    canvas.paste(_surface(mount_size, mount, rng, grain=30), (outer[0], outer[1]))
    # Heaven (top) and earth (bottom) panels in a darker silk, with the two hanging strips.
    heaven = rng.uniform(0.16, 0.2)
    earth = rng.uniform(0.1, 0.13)
    darker = _mix(mount, (40, 40, 40), 0.25)
    draw.rectangle(stage.box(left, top, right, top + heaven * (bottom - top)), fill=darker)
    draw.rectangle(stage.box(left, bottom - earth * (bottom - top), right, bottom),
                   fill=darker)
    for strip in (left + width * 0.33, left + width * 0.62):
        draw.rectangle(stage.box(strip, top, strip + width * 0.05,
                                 top + heaven * (bottom - top)), fill=mount)
    # Stave at the top with its cord, roller with knobs at the bottom.
    draw.rectangle(stage.box(left - 0.01, top - 0.012, right + 0.01, top + 0.006),
                   fill=(70, 50, 36))
    draw.line((stage.x(left + width * 0.2), stage.y(top - 0.01), stage.x(0.5),
               stage.y(0.012), stage.x(right - width * 0.2), stage.y(top - 0.01)),
              fill=(120, 96, 60), width=max(2, stage.width // 400))
    draw.rectangle(stage.box(left - 0.01, bottom - 0.004, right + 0.01, bottom + 0.018),
                   fill=(60, 40, 30))
    knob = (118, 92, 60) if rng.random() < 0.5 else (220, 214, 196)
    for end in (left - 0.045, right + 0.01):
        draw.rectangle(stage.box(end, bottom - 0.008, end + 0.035, bottom + 0.022), fill=knob)
    inset = width * 0.1
    picture = stage.box(left + inset, top + heaven * (bottom - top) + 0.03, right - inset,
                        bottom - earth * (bottom - top) - 0.03)
    size = (picture[2] - picture[0], picture[3] - picture[1])
    canvas.paste(_surface(size, paper, rng, mottle=_mix(paper, (150, 120, 70), 0.4),
                          grain=50, amount=0.25), (picture[0], picture[1]))
    draw.rectangle(picture, outline=_mix(mount, (0, 0, 0), 0.35), width=max(2, size[0] // 200))
    return (picture[0], picture[1], picture[2], picture[3])


def _seal(draw: ImageDraw.ImageDraw, rng: Rng, x: float, y: float, side: float) -> None:
    """A red seal impression: a square with white (carved) strokes."""
    draw.rectangle((x, y, x + side, y + side), fill=_SEAL_RED)
    for _ in range(int(rng.integers(3, 6))):
        if rng.random() < 0.5:
            ly = y + side * rng.uniform(0.2, 0.8)
            draw.line((x + side * 0.15, ly, x + side * 0.85, ly), fill=(236, 214, 196),
                      width=max(1, round(side / 12)))
        else:
            lx = x + side * rng.uniform(0.2, 0.8)
            draw.line((lx, y + side * 0.15, lx, y + side * 0.85), fill=(236, 214, 196),
                      width=max(1, round(side / 12)))


def _ridge(rng: Rng, left: float, right: float, base: float, peak: float) -> list[Point]:
    """A mountain ridge as a random walk between two feet."""
    xs = np.linspace(left, right, 40)
    walk = np.cumsum(rng.normal(0, 1, 40))
    walk = walk - np.linspace(walk[0], walk[-1], 40)
    hump = np.sin(np.linspace(0, np.pi, 40)) ** rng.uniform(0.7, 1.6)
    ys = base - hump * peak + walk * peak * 0.06
    return [(left, base), *zip(xs.tolist(), ys.tolist(), strict=True), (right, base)]


def _painting(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    left, top, right, bottom = _scroll(canvas, stage, rng)
    width, height = right - left, bottom - top
    layer = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(layer)
    # Far ranges pale and high, near ones dark and low: the usual recession in ink.
    for depth, (base, peak, ink) in enumerate(((0.45, 0.35, 70), (0.65, 0.4, 120),
                                               (0.85, 0.35, 170))):
        for _ in range(int(rng.integers(1, 3))):
            start = rng.uniform(-0.3, 0.4)
            ridge = _ridge(rng, width * start, width * (start + rng.uniform(0.6, 1.0)),
                           height * base, height * peak)
            draw.polygon(ridge, fill=ink)
            if depth == 2:
                for tx, ty in ridge[5:-5:6]:  # pines on the near slope
                    draw.line((tx, ty, tx, ty - height * 0.04), fill=230, width=2)
                    draw.ellipse((tx - width * 0.02, ty - height * 0.05, tx + width * 0.02,
                                  ty - height * 0.03), fill=220)
    soft = layer.filter(ImageFilter.BoxBlur(2))
    canvas.paste((34, 32, 30), (left, top), soft)
    draw_canvas = ImageDraw.Draw(canvas)
    # The artist's inscription, a short column of small marks, and seals.
    column_x = right - width * 0.12
    for index in range(int(rng.integers(5, 10))):
        y = top + height * 0.05 + index * width * 0.06
        draw_canvas.line((column_x, y, column_x + width * 0.03, y + width * 0.02),
                         fill=(40, 36, 34), width=max(2, width // 120))
    seal = width * 0.06
    _seal(draw_canvas, rng, column_x - seal * 0.2, top + height * 0.05 + 11 * width * 0.06,
          seal)
    _seal(draw_canvas, rng, left + width * 0.05, bottom - seal * 1.5, seal * 0.8)


def _brush_stroke(draw: ImageDraw.ImageDraw, rng: Rng, start: Point, end: Point,
                  weight: float, ink: RGB) -> None:
    """A stroke that swells in the middle and tapers at both ends, like a brush."""
    (x0, y0), (x1, y1) = start, end
    length = max(1e-6, float(np.hypot(x1 - x0, y1 - y0)))
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    steps = np.linspace(0, 1, 12)
    widths = weight * np.sin(np.pi * (0.15 + 0.85 * steps)) * rng.uniform(0.7, 1.2)
    side_a = [(x0 + (x1 - x0) * t + nx * w, y0 + (y1 - y0) * t + ny * w)
              for t, w in zip(steps, widths, strict=True)]
    side_b = [(x0 + (x1 - x0) * t - nx * w * 0.6, y0 + (y1 - y0) * t - ny * w * 0.6)
              for t, w in zip(steps, widths, strict=True)]
    draw.polygon(side_a + side_b[::-1], fill=ink)


def _calligraphy(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    left, top, right, bottom = _scroll(canvas, stage, rng)
    width, height = right - left, bottom - top
    draw = ImageDraw.Draw(canvas)
    ink = (28, 26, 24) if rng.random() < 0.7 else (48, 40, 36)
    columns = int(rng.integers(2, 5))
    glyph = width / (columns + 1.2)
    per_column = int(height * 0.86 / glyph)
    for column in range(columns):  # written top to bottom, columns right to left
        cx = right - glyph * (column + 1.1)
        count = per_column if column < columns - 1 else int(rng.integers(2, per_column + 1))
        for row in range(count):
            cy = top + glyph * 0.3 + row * glyph
            for _ in range(int(rng.integers(3, 8))):
                a = (cx + rng.uniform(-0.35, 0.35) * glyph, cy + rng.uniform(0, 0.8) * glyph)
                angle = rng.choice([0.0, np.pi / 2, np.pi / 4, 3 * np.pi / 4]) + rng.normal(
                    0, 0.15)
                reach = glyph * rng.uniform(0.2, 0.55)
                b = (a[0] + np.cos(angle) * reach, a[1] + np.sin(angle) * reach)
                _brush_stroke(draw, rng, a, b, glyph * rng.uniform(0.04, 0.08), ink)
    seal = width * 0.07
    _seal(draw, rng, right - glyph * (columns + 0.4), bottom - seal * 2.5, seal)
    _seal(draw, rng, right - glyph * (columns + 0.4), bottom - seal * 1.3, seal)


# --- furniture ----------------------------------------------------------------------------

_WOODS: tuple[RGB, ...] = ((148, 92, 48), (120, 70, 40), (70, 36, 28), (160, 110, 64))


def _wood(size: tuple[int, int], colour: RGB, rng: Rng) -> Image.Image:
    """Wood with wavy grain running along the longer side (made at half size)."""
    width, height = max(2, size[0] // 2), max(2, size[1] // 2)
    x = np.linspace(0, 1, width)[None, :]
    y = np.linspace(0, 1, height)[:, None]
    waves = np.sin((y * rng.uniform(40, 70) + np.sin(x * rng.uniform(3, 7)) * 2) * np.pi)
    grain = (200 + waves * 30 + rng.integers(-6, 7, (height, width))) / 255
    base = np.array(_mix(colour, (255, 230, 200), 0.2), dtype=float)
    pixels = np.clip(grain[:, :, None] * base, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB").resize(size, Image.Resampling.BILINEAR)


def _furniture(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    colour = _pick(rng, _WOODS)
    mask = Image.new("L", canvas.size, 0)
    draw = ImageDraw.Draw(mask)
    floor = 0.88
    if rng.random() < 0.5:  # official's hat armchair (guanmaoyi), front view
        width = rng.uniform(0.5, 0.6)
        left, right = 0.5 - width / 2, 0.5 + width / 2
        seat, crest = rng.uniform(0.55, 0.6), rng.uniform(0.12, 0.18)
        post = width * 0.05
        _floor_shadow(canvas, stage.x(0.5), stage.y(floor), stage.x(width / 2))
        for x in (left, right - post):  # back posts rise to the crest rail
            draw.rectangle(stage.box(x, crest, x + post, floor), fill=255)
        draw.rounded_rectangle(stage.box(left - 0.05, crest - 0.02, right + 0.05, crest + 0.025),
                               radius=stage.x(0.02), fill=255)
        draw.rectangle(stage.box(0.5 - width * 0.12, crest, 0.5 + width * 0.12, seat),
                       fill=200)  # the back splat, a shade lighter
        draw.rectangle(stage.box(left - 0.02, seat, right + 0.02, seat + 0.04), fill=255)
        draw.rectangle(stage.box(left - 0.02, seat + 0.04, right + 0.02, seat + 0.075),
                       fill=200)  # apron
        for x in (left + 0.08, right - 0.11):  # arms
            draw.rectangle(stage.box(x, seat - 0.16, x + 0.03, seat), fill=230)
        draw.rectangle(stage.box(left, floor - 0.06, right, floor - 0.045), fill=220)
    else:  # recessed-leg painting table
        width = rng.uniform(0.74, 0.84)
        left, right = 0.5 - width / 2, 0.5 + width / 2
        top = rng.uniform(0.42, 0.52)
        _floor_shadow(canvas, stage.x(0.5), stage.y(floor), stage.x(width / 2))
        draw.rectangle(stage.box(left, top, right, top + 0.035), fill=255)
        draw.rectangle(stage.box(left + 0.04, top + 0.035, right - 0.04, top + 0.08), fill=200)
        for x in (left + 0.06, right - 0.1):
            draw.polygon([(stage.x(x), stage.y(top + 0.035)),
                          (stage.x(x + 0.04), stage.y(top + 0.035)),
                          (stage.x(x + 0.035 + 0.01 * (x > 0.5)), stage.y(floor)),
                          (stage.x(x + 0.005 - 0.01 * (x < 0.5)), stage.y(floor))], fill=255)
            draw.rectangle(stage.box(x, 0.72, x + 0.04, 0.74), fill=220)
    # The mask's grey levels shade the parts set back from the front (splat, apron).
    bbox = mask.getbbox() or (0, 0, 1, 1)
    region = mask.crop(bbox)
    tone = _grey(region.point(lambda value: value or 255))
    wood = ImageChops.multiply(_wood(region.size, colour, rng), tone)
    canvas.paste(wood, bbox[:2], region.point(lambda value: 255 if value else 0))


# --- enamel -------------------------------------------------------------------------------

_TURQUOISE: tuple[RGB, ...] = ((40, 150, 160), (34, 136, 150), (52, 160, 168))
_ENAMEL_FLOWERS: tuple[RGB, ...] = ((196, 48, 48), (236, 196, 70), (240, 236, 226),
                                    (40, 64, 150), (214, 120, 160))
_GILT: RGB = (206, 168, 82)


def _enamel(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    height = rng.uniform(0.58, 0.68)
    width = height * rng.uniform(0.55, 0.75) * stage.height / stage.width
    floor = 0.86
    box = stage.box(0.5 - width / 2, floor - height, 0.5 + width / 2, floor)
    _floor_shadow(canvas, stage.x(0.5), stage.y(floor), stage.x(width * 0.3))
    size = (box[2] - box[0], box[3] - box[1])
    ground = _pick(rng, _TURQUOISE)
    surface = _surface(size, ground, rng, mottle=_mix(ground, (255, 255, 255), 0.2), grain=30,
                       amount=0.3)
    jar = rng.random() < 0.5
    profile = ([(0.0, 0.55), (0.08, 0.55), (0.14, 0.62), (0.4, 1.0), (0.8, 0.78),
                (0.9, 0.6), (1.0, 0.66)] if jar else
               [(0.0, 0.34), (0.08, 0.24), (0.3, 0.3), (0.55, 0.96), (0.85, 0.62),
                (0.92, 0.5), (1.0, 0.56)])

    def decorate(draw: ImageDraw.ImageDraw, radii: np.ndarray, width: int,
                 height: int) -> None:
        wire = max(2, width // 170)
        for top, bottom in ((0.0, 0.06), (0.92, 1.0)):
            _band(draw, radii, width, height, top, bottom, _GILT)
        for row in (0.3, 0.55, 0.78):
            crests = _scroll_line(draw, rng, width * 0.05, width * 0.95, height * row,
                                  height * 0.05, _GILT, wire)
            for cx, cy in crests:
                _flower(draw, (cx, cy), width * rng.uniform(0.04, 0.07), 6,
                        _pick(rng, _ENAMEL_FLOWERS), _GILT)
        for index in range(14):  # gilt ruyi heads along the shoulder
            x = width * (0.05 + index * 0.065)
            draw.arc((x, height * 0.1, x + width * 0.06, height * 0.16), 180, 360,
                     fill=_GILT, width=wire)

    _vessel(canvas, box, profile, surface, ambient=0.45, shine=0.8, gloss=0.09,
            decorate=decorate)


# --- clocks -------------------------------------------------------------------------------


def _clock(canvas: Image.Image, stage: _Stage, rng: Rng) -> None:
    gilt = _mix(_GILT, (255, 220, 140), rng.uniform(0, 0.3))
    dark_gilt = _mix(gilt, (60, 40, 10), 0.45)
    width = rng.uniform(0.46, 0.58)
    left, right = 0.5 - width / 2, 0.5 + width / 2
    floor = 0.88
    base_top = floor - 0.07
    case_top = rng.uniform(0.3, 0.38)
    _floor_shadow(canvas, stage.x(0.5), stage.y(floor), stage.x(width / 2))
    mask = Image.new("L", canvas.size, 0)
    draw = ImageDraw.Draw(mask)
    draw.rectangle(stage.box(left - 0.04, base_top, right + 0.04, floor - 0.015), fill=255)
    for foot in (left - 0.03, right - 0.01):
        draw.ellipse(stage.box(foot, floor - 0.03, foot + 0.04, floor), fill=255)
    draw.rectangle(stage.box(left, case_top, right, base_top), fill=235)
    pagoda = rng.random() < 0.5
    if pagoda:  # a tiered pavilion clock, as made in Guangzhou and London for the court
        for tier in range(3):
            tier_width = width * (0.8 - tier * 0.22)
            tier_top = case_top - 0.08 * (tier + 1)
            draw.rectangle(stage.box(0.5 - tier_width / 2, tier_top, 0.5 + tier_width / 2,
                                     tier_top + 0.08), fill=215 + tier * 10)
        draw.polygon([(stage.x(0.5), stage.y(case_top - 0.32)),
                      (stage.x(0.48), stage.y(case_top - 0.24)),
                      (stage.x(0.52), stage.y(case_top - 0.24))], fill=255)
    else:  # bracket clock with an arched top and urn finials
        draw.pieslice(stage.box(left, case_top - width * 0.4, right,
                                case_top + width * 0.4), 180, 360, fill=245)
        for finial in (left, right - 0.05):
            draw.ellipse(stage.box(finial, case_top - 0.06, finial + 0.05, case_top),
                         fill=255)
    # Gilt lit from the left; the mask's grey levels set the recessed parts back.
    bbox = mask.getbbox() or (0, 0, 1, 1)
    region = mask.crop(bbox)
    light = Image.linear_gradient("L").rotate(90).resize(region.size).point(
        lambda value: 140 + value // 2)
    tone = ImageChops.multiply(light, region.point(lambda value: value or 255))
    metal = ImageChops.multiply(Image.new("RGB", region.size, gilt), _grey(tone))
    canvas.paste(metal, bbox[:2], region.point(lambda value: 255 if value else 0))
    scene = ImageDraw.Draw(canvas)
    # Chased scrollwork on the case front.
    for _ in range(int(rng.integers(6, 12))):
        x = stage.x(rng.uniform(left + 0.03, right - 0.08))
        y = stage.y(rng.uniform(case_top + 0.3, base_top - 0.04))
        scene.arc((x, y, x + stage.x(0.05), y + stage.x(0.04)), rng.uniform(0, 180),
                  rng.uniform(200, 360), fill=dark_gilt, width=max(2, stage.width // 300))
    # The white enamel dial with hour marks and hands.
    radius = stage.x(width * 0.3)
    cx, cy = stage.x(0.5), stage.y(case_top + 0.15)
    scene.ellipse((cx - radius * 1.08, cy - radius * 1.08, cx + radius * 1.08,
                   cy + radius * 1.08), fill=dark_gilt)
    scene.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(238, 234, 222))
    for hour in range(12):
        angle = hour * np.pi / 6
        scene.line((cx + np.sin(angle) * radius * 0.78, cy - np.cos(angle) * radius * 0.78,
                    cx + np.sin(angle) * radius * 0.92, cy - np.cos(angle) * radius * 0.92),
                   fill=(30, 30, 30), width=max(2, radius // 25))
    hour_angle, minute_angle = rng.uniform(0, 2 * np.pi), rng.uniform(0, 2 * np.pi)
    for angle, reach in ((hour_angle, 0.5), (minute_angle, 0.75)):
        scene.line((cx, cy, cx + np.sin(angle) * radius * reach,
                    cy - np.cos(angle) * radius * reach), fill=(20, 20, 30),
                   width=max(2, radius // 18))


# --- entry point --------------------------------------------------------------------------

_RENDERERS: dict[str, Callable[[Image.Image, _Stage, Rng], None]] = {
    "bronze": _bronze,
    "jade": _jade,
    "porcelain": _porcelain,
    "lacquer": _lacquer,
    "textile": _textile,
    "painting": _painting,
    "calligraphy": _calligraphy,
    "furniture": _furniture,
    "enamel": _enamel,
    "clock": _clock,
}

CATEGORIES: tuple[str, ...] = tuple(_RENDERERS)
"""bronze, jade, porcelain, lacquer, textile (silk and other textiles), painting (on paper or
silk), calligraphy, furniture (wood), enamel (cloisonné), clock."""


def render_object_image(category: str, seed: int, *,
                        size: tuple[int, int] = (1200, 1500)) -> Image.Image:
    """An RGB stand-in photograph of an object of ``category``; the same arguments always
    give the same pixels.

    Raises:
        ValueError: ``category`` is not one of CATEGORIES, or ``size`` is under 64 × 64.
    """
    renderer = _RENDERERS.get(category)
    if renderer is None:
        raise ValueError(
            f"unknown demo image category {category!r}; use one of {', '.join(CATEGORIES)}")
    if size[0] < 64 or size[1] < 64:
        raise ValueError(f"demo image size {size} is too small; use at least 64 × 64")
    # The category is mixed into the seed so that seed 1 is not the same noise everywhere.
    rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(category.encode())])
    stage = _Stage(*size)
    canvas = _studio(stage, rng)
    renderer(canvas, stage, rng)
    return canvas
