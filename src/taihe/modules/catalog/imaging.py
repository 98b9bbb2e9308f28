"""Image intake checks and static derivatives: thumbnail, preview and IIIF level-0 tiles.

Everything here works on files and returns plain data; storage and jobs live elsewhere.

IIIF Image API 3.0 (https://iiif.io/api/image/3.0/) lets a viewer such as OpenSeadragon or
Mirador zoom into a large photograph by fetching small tiles. A *level-0* service is nothing
but pre-generated files behind any web server, so the tiles must sit at exactly the URLs a
client builds for itself:

* §4.8 "Canonical URI Syntax": region is ``full`` when the whole image is asked for,
  otherwise ``x,y,w,h``; size is ``max`` for the full size without upscaling, otherwise
  ``w,h``; rotation ``0``; quality ``default``; format ``jpg``.
* Implementation notes §3 "Tile region parameter calculation": a tile at scale factor ``s``
  covers ``tile*s`` source pixels and its edge tiles are ``ceil(remaining / s)`` pixels wide.
* Compliance §5 "Level 0": only the listed ``scaleFactors`` and ``sizes`` need exist, and
  §3.1/§3.2 require ``full`` region and ``max`` size at every level.

OpenSeadragon's IIIF tile source (``src/iiiftilesource.js``, ``getTileUrl``) builds the same
strings: ``full`` when a tile covers the whole image, ``max`` when the scaled size equals the
full size, ``w,h`` otherwise, with level sizes rounded up (``Math.ceil``). Mirador uses it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import IO, Any

import numpy as np
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

from taihe.kernel.errors import ValidationFailed

# A museum master photograph from a 150 MP medium-format back (14204 × 10652) must pass; a
# crafted file that claims 50 000 × 50 000 pixels (7.5 GB of RGB) must not. 200 MP decodes to
# 600 MB of RGB, the most one background worker should hold.
MAX_PIXELS = 200_000_000

# Pillow refuses images above twice its own MAX_IMAGE_PIXELS (≈179 MP by default) before we
# can give a translated answer. Raise it (never lower it) so that our limit is the one people
# meet; images above MAX_PIXELS are still refused below before any pixel is decoded.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Pillow format name -> MIME type. MPO is how Pillow names a JPEG that carries a Multi-Picture
# Format index (written by many cameras and phones); it is a JPEG for every browser.
OPEN_FORMATS = ["JPEG", "PNG", "TIFF", "WEBP"]
"""Pillow decoders tried on an upload; no other plugin ever parses untrusted bytes."""
ACCEPTED_FORMATS: dict[str, str] = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "TIFF": "image/tiff",
    "WEBP": "image/webp",
}

SUFFIXES: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "image/webp": ".webp",
}
"""File name suffix for storing a master of each accepted MIME type."""

THUMBNAIL_LONG_EDGE = 400
PREVIEW_LONG_EDGE = 1600
# Whole-image sizes listed in info.json for viewers that never tile (thumbnail strips,
# Mirador's gallery): every halving of the image from this long edge down to the smallest.
LARGEST_LISTED_SIZE = 2048
SMALLEST_LISTED_SIZE = 64
# Baseline JPEG stores each dimension in 16 bits (ITU-T T.81 §B.2.2) and libjpeg refuses
# more than 65 500; a wider panorama's ``max`` size is scaled down to fit.
JPEG_MAX_DIMENSION = 65_500
JPEG_QUALITY = 85
FULL_JPEG_QUALITY = 90

IIIF_IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
IIIF_IMAGE_PROTOCOL = "http://iiif.io/api/image"
IIIF_TILE_FILE = "0/default.jpg"

ImageSource = str | os.PathLike[str] | IO[bytes]
"""A path, or an open binary file such as a Django upload (read from its current start)."""

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")


class ImageRejected(ValidationFailed):
    """An uploaded file cannot be used as an object image. ``code`` says why."""

    code = "image_rejected"


@dataclass(frozen=True)
class ImageFacts:
    """What the catalog records about an accepted master image."""

    width: int
    """Width as displayed, after the EXIF orientation is applied."""
    height: int
    mime_type: str
    sha256: str
    """Hex digest of the file's bytes, to find duplicates and prove fixity."""


@dataclass(frozen=True)
class Derivatives:
    """The files :func:`make_derivatives` wrote for one image."""

    directory: Path
    """``out_dir/identifier``; also the IIIF image service root."""
    service_id: str
    width: int
    height: int
    thumbnail: Path
    thumbnail_size: tuple[int, int]
    preview: Path
    preview_size: tuple[int, int]
    full: Path
    """The ``full/max/0/default.jpg`` rendering every level-0 service must offer."""
    info: dict[str, Any]
    tile_count: int
    files: list[Path] = field(default_factory=list)
    """Every image file written, relative to ``directory``."""


# --- sizes and URLs shared with the IIIF manifest builder --------------------------------------


def scaled_to_long_edge(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """The size of ``width × height`` scaled so its longer side is ``long_edge``; never
    enlarged. Rounded to the nearest pixel, at least 1."""
    longest = max(width, height)
    if longest <= long_edge:
        return width, height
    return (
        max(1, round(width * long_edge / longest)),
        max(1, round(height * long_edge / longest)),
    )


def thumbnail_size(width: int, height: int) -> tuple[int, int]:
    return scaled_to_long_edge(width, height, THUMBNAIL_LONG_EDGE)


def preview_size(width: int, height: int) -> tuple[int, int]:
    return scaled_to_long_edge(width, height, PREVIEW_LONG_EDGE)


def full_max_size(width: int, height: int) -> tuple[int, int]:
    """The size served for ``max``: the full size unless JPEG cannot hold it.

    Follows the Image API 3.0 implementation notes §4 (maximum size calculation) with
    ``maxWidth = maxHeight = JPEG_MAX_DIMENSION``.
    """
    if width <= JPEG_MAX_DIMENSION and height <= JPEG_MAX_DIMENSION:
        return width, height
    scale = JPEG_MAX_DIMENSION / max(width, height)
    return max(1, int(width * scale)), max(1, int(height * scale))


def canonical_size(width: int, height: int, size: tuple[int, int]) -> str:
    """The Image API 3.0 §4.8 canonical size parameter for a whole-image request."""
    if size == full_max_size(width, height):
        return "max"
    return f"{size[0]},{size[1]}"


def media_identifier(media_id: int) -> str:
    """The IIIF image identifier (and folder name) of a catalog media file."""
    return str(media_id)


def image_service_id(image_service_base: str, identifier: str) -> str:
    return f"{image_service_base.rstrip('/')}/{identifier}"


def full_image_url(service_id: str, width: int, height: int, size: tuple[int, int]) -> str:
    """URL of the whole image at ``size`` under a level-0 service."""
    return f"{service_id}/full/{canonical_size(width, height, size)}/{IIIF_TILE_FILE}"


def scale_factors_for(width: int, height: int, tile_size: int) -> list[int]:
    """Powers of two from 1 until the whole image fits in one tile (inclusive)."""
    factors = [1]
    while math.ceil(width / factors[-1]) > tile_size or math.ceil(height / factors[-1]) > tile_size:
        factors.append(factors[-1] * 2)
    return factors


@dataclass(frozen=True)
class _Tile:
    scale_factor: int
    box: tuple[int, int, int, int]
    """Crop box in the level image (left, top, right, bottom)."""
    path: str
    """``{region}/{size}/0/default.jpg`` relative to the service root."""


def iter_tiles(width: int, height: int, tile_size: int) -> Iterator[_Tile]:
    """Every tile a level-0 client may request, with its canonical path.

    Region and size follow the implementation notes §3 (integer arithmetic, edge sizes
    rounded up); the level image at scale factor ``s`` is ``ceil(width/s) × ceil(height/s)``,
    so tile ``(n, m)`` is the crop at ``(n*tile, m*tile)`` of that level image.
    """
    for factor in scale_factors_for(width, height, tile_size):
        level_width, level_height = math.ceil(width / factor), math.ceil(height / factor)
        span = tile_size * factor
        for row in range(math.ceil(height / span)):
            for column in range(math.ceil(width / span)):
                region_x, region_y = column * span, row * span
                region_w = min(span, width - region_x)
                region_h = min(span, height - region_y)
                size_w = min(tile_size, level_width - column * tile_size)
                size_h = min(tile_size, level_height - row * tile_size)
                if (region_w, region_h) == (width, height):
                    region = "full"
                else:
                    region = f"{region_x},{region_y},{region_w},{region_h}"
                size = canonical_size(width, height, (size_w, size_h))
                left, top = column * tile_size, row * tile_size
                yield _Tile(
                    scale_factor=factor,
                    box=(left, top, left + size_w, top + size_h),
                    path=f"{region}/{size}/{IIIF_TILE_FILE}",
                )


def listed_sizes(width: int, height: int) -> list[tuple[int, int]]:
    """Whole-image sizes for info.json ``sizes``, smallest first (Image API 3.0 §5.3).

    The thumbnail and preview, plus every power-of-two reduction whose long edge lies between
    SMALLEST_LISTED_SIZE and LARGEST_LISTED_SIZE. The full size is never listed: it is
    requested as ``max``.
    """
    sizes = {thumbnail_size(width, height), preview_size(width, height)}
    factor = 2
    while True:
        size = (math.ceil(width / factor), math.ceil(height / factor))
        if max(size) < SMALLEST_LISTED_SIZE:
            break
        if max(size) <= LARGEST_LISTED_SIZE:
            sizes.add(size)
        factor *= 2
    sizes.discard(full_max_size(width, height))
    return sorted(sizes)


def info_json(
    width: int, height: int, *, service_id: str, tile_size: int
) -> dict[str, Any]:
    """The Image API 3.0 §5 image information document of a level-0 static service."""
    info: dict[str, Any] = {
        "@context": IIIF_IMAGE_CONTEXT,
        "id": service_id,
        "type": "ImageService3",
        "protocol": IIIF_IMAGE_PROTOCOL,
        "profile": "level0",
        "width": width,
        "height": height,
    }
    max_width, max_height = full_max_size(width, height)
    if (max_width, max_height) != (width, height):
        info["maxWidth"] = max_width
        info["maxHeight"] = max_height
    info["sizes"] = [{"width": w, "height": h} for w, h in listed_sizes(width, height)]
    info["tiles"] = [
        {"width": tile_size, "scaleFactors": scale_factors_for(width, height, tile_size)}
    ]
    return info


# --- inspecting an upload ---------------------------------------------------------------------


def _rejected(code: str, message: str) -> ImageRejected:
    return ImageRejected(message, code=code, fields={"image": message})


def _name_of(source: ImageSource) -> str:
    """The file name to show in messages: the upload's own name, never a server path."""
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    name = Path(str(getattr(source, "name", "") or "")).name
    return name or _("The uploaded file")


def _rewind(source: ImageSource) -> None:
    if not isinstance(source, (str, os.PathLike)):
        source.seek(0)


def _open(source: ImageSource) -> Image.Image:
    """Open ``source`` with only the accepted decoders; raise ImageRejected otherwise."""
    name = _name_of(source)
    try:
        return Image.open(source, formats=OPEN_FORMATS)
    except FileNotFoundError:
        raise _rejected(
            "image_missing", _("The file %(name)s does not exist.") % {"name": name}
        ) from None
    except Image.DecompressionBombError:
        raise _rejected(
            "image_too_large",
            _("%(name)s has too many pixels; the limit is %(limit)s megapixels.")
            % {"name": name, "limit": MAX_PIXELS // 1_000_000},
        ) from None
    except UnidentifiedImageError:
        pass
    except OSError as error:
        raise _rejected(
            "image_unreadable",
            _("%(name)s could not be read: %(reason)s") % {"name": name, "reason": error},
        ) from error
    # Not one of ours: find out whether it is another image format, to say so. Opening only
    # parses the header; no decoder (EPS's Ghostscript included) runs until load().
    _rewind(source)
    try:
        with Image.open(source) as other:
            other_format = other.format or "?"
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise _rejected(
            "image_not_an_image", _("%(name)s is not an image file.") % {"name": name}
        ) from None
    finally:
        _rewind(source)
    raise _rejected(
        "image_format_unsupported",
        _("%(name)s is a %(format)s image; use JPEG, PNG, TIFF or WebP.")
        % {"name": name, "format": other_format},
    )


def _oriented_size(image: Image.Image, size: tuple[int, int]) -> tuple[int, int]:
    """``size`` as displayed. Call after decoding: PNG keeps EXIF after the pixel data."""
    # EXIF orientations 5-8 are the transposed ones (CIPA DC-008 Exif 2.32, tag 0x0112).
    if image.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8):
        return size[1], size[0]
    return size


def _check_pixels(image: Image.Image, name: str) -> None:
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _rejected(
            "image_too_large",
            _(
                "%(name)s is %(width)s × %(height)s pixels; the limit is %(limit)s megapixels."
            )
            % {"name": name, "width": width, "height": height, "limit": MAX_PIXELS // 1_000_000},
        )


def _decode(image: Image.Image, name: str) -> None:
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as error:
        raise _rejected(
            "image_corrupt",
            _("%(name)s is damaged or incomplete: %(reason)s") % {"name": name, "reason": error},
        ) from error


def _sha256(source: ImageSource) -> str:
    digest = hashlib.sha256()
    if isinstance(source, (str, os.PathLike)):
        with Path(source).open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    else:
        source.seek(0)
        while chunk := source.read(1 << 20):
            digest.update(chunk)
        source.seek(0)
    return digest.hexdigest()


def inspect_image(source: ImageSource) -> ImageFacts:
    """Check that ``source`` is a usable master image and describe it.

    ``source`` is a path or an open binary file (a Django upload); a file is read from the
    start and left rewound, never closed. The whole file is decoded once, so a truncated
    upload is caught here rather than when tiles are made (JPEGs are decoded at 1/8 scale,
    which still reads every byte).

    Raises:
        ImageRejected: code ``image_missing``, ``image_not_an_image``,
            ``image_format_unsupported`` (not JPEG, PNG, TIFF or WebP), ``image_too_large``
            (more than MAX_PIXELS), ``image_unreadable`` or ``image_corrupt``.
    """
    name = _name_of(source)
    _rewind(source)
    with _open(source) as image:
        _check_pixels(image, name)
        image_format = image.format or ""
        stored_size = image.size
        if image_format in ("JPEG", "MPO"):
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
        _decode(image, name)
        width, height = _oriented_size(image, stored_size)
    return ImageFacts(
        width=width,
        height=height,
        mime_type=ACCEPTED_FORMATS[image_format],
        sha256=_sha256(source),
    )


# --- making derivatives -----------------------------------------------------------------------


_SRGB = ImageCms.createProfile("sRGB")


def _to_srgb(image: Image.Image) -> Image.Image:
    """An 8-bit RGB copy in sRGB, the colour space browsers assume for untagged JPEGs.

    Museum masters are often Adobe RGB, ProPhoto or CMYK with an embedded ICC profile;
    dropping the profile without converting would show them dull or shifted.
    """
    # Read before any conversion: new images made below do not carry ``info`` over.
    icc = image.info.get("icc_profile")
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale (scanned glass negatives, X-radiographs): keep the top 8 bits;
        # Pillow's own convert("L") clips at 255 and would turn the image white.
        pixels = np.asarray(image, dtype=np.uint32)
        image = Image.fromarray((pixels >> 8).clip(0, 255).astype(np.uint8), mode="L")
    elif image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    ):
        # Transparent areas are shown on white, as a catalogue page would.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
    if icc and image.mode in ("RGB", "CMYK", "L"):
        try:
            source_profile = ImageCms.ImageCmsProfile(BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, source_profile, _SRGB, outputMode="RGB"
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            # A broken embedded profile is common in old scans; fall back to the plain
            # conversion rather than refuse the image.
            pass
    return image.convert("RGB")


def _check_derivative_arguments(identifier: str, tile_size: int) -> None:
    if not _IDENTIFIER.fullmatch(identifier):
        raise ValueError(
            f"identifier {identifier!r} must be one path segment of letters, digits, '.', '_'"
            " or '-', not starting with '.'"
        )
    if not 64 <= tile_size <= 4096:
        raise ValueError(f"tile_size {tile_size} must be between 64 and 4096")


def _save_jpeg(image: Image.Image, root: Path, relative: str, quality: int) -> Path:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, "JPEG", quality=quality)
    return Path(relative)


def _swap_into_place(staging: Path, final: Path) -> None:
    """Make ``staging`` visible as ``final``; an older ``final`` is removed afterwards.

    ``rename`` is atomic on POSIX, so readers see either the old complete set or the new one.
    A directory cannot be renamed over a non-empty one, so an existing set is first moved
    aside (a reader may briefly find nothing, never a half-written set).
    """
    old: Path | None = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex}")
        os.rename(final, old)
    os.rename(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def make_derivatives(
    source: Path,
    out_dir: Path,
    *,
    identifier: str,
    base_url: str,
    tile_size: int = 512,
) -> Derivatives:
    """Write the thumbnail, preview, IIIF level-0 tiles and info.json of one master image.

    Files go to ``out_dir/identifier/`` laid out as IIIF Image API 3.0 URLs, so that folder can
    be served as-is at ``base_url/identifier``: ``info.json``, ``full/max/0/default.jpg``,
    ``full/{w},{h}/0/default.jpg`` for every size listed in info.json (the thumbnail and
    preview among them), and ``{region}/{size}/0/default.jpg`` for every tile at every scale
    factor. The EXIF orientation is applied and colours are converted to sRGB.

    Everything is written into a hidden staging folder beside the target and renamed into
    place at the end, so a crash leaves either the previous complete set or none. (A crash
    leaves the staging folder ``.identifier.tmp-*`` behind; it is never mistaken for a set.)

    Raises:
        ImageRejected: as :func:`inspect_image`, when the source is not a usable image.
        ValueError: when ``identifier`` is not a single safe path segment or ``tile_size``
            is outside 64-4096.
        OSError: when the output folder cannot be written.
    """
    _check_derivative_arguments(identifier, tile_size)
    name = _name_of(source)
    with _open(source) as opened:
        _check_pixels(opened, name)
        _decode(opened, name)
        oriented = ImageOps.exif_transpose(opened)
        master = _to_srgb(oriented)
    width, height = master.size
    service_id = image_service_id(base_url, identifier)

    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / identifier
    staging = Path(tempfile.mkdtemp(prefix=f".{identifier}.tmp-", dir=out_dir))
    try:
        derivatives = _write_all(master, staging, service_id=service_id, tile_size=tile_size)
        _swap_into_place(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Derivatives(
        directory=final,
        service_id=service_id,
        width=width,
        height=height,
        thumbnail=final / derivatives["thumbnail"],
        thumbnail_size=thumbnail_size(width, height),
        preview=final / derivatives["preview"],
        preview_size=preview_size(width, height),
        full=final / derivatives["full"],
        info=derivatives["info"],
        tile_count=derivatives["tile_count"],
        files=derivatives["files"],
    )


def _write_all(
    master: Image.Image, root: Path, *, service_id: str, tile_size: int
) -> dict[str, Any]:
    width, height = master.size
    # The pyramid: level[s] is the image at scale factor s, ceil(width/s) × ceil(height/s).
    # Image.reduce(2) averages 2×2 blocks and rounds odd sizes up, exactly the level sizes
    # the Image API implementation notes §3 and OpenSeadragon compute.
    levels: dict[int, Image.Image] = {1: master}
    smallest_factor = 1
    while max(levels[smallest_factor].size) > SMALLEST_LISTED_SIZE:
        levels[smallest_factor * 2] = levels[smallest_factor].reduce(2)
        smallest_factor *= 2

    written: dict[str, Path] = {}

    def write(relative: str, image: Image.Image, quality: int = JPEG_QUALITY) -> None:
        if relative not in written:
            written[relative] = _save_jpeg(image, root, relative, quality)

    full_size = full_max_size(width, height)
    full_image = master if full_size == (width, height) else _resized(levels, full_size)
    full_path = f"full/max/{IIIF_TILE_FILE}"
    write(full_path, full_image, FULL_JPEG_QUALITY)

    tile_count = 0
    for tile in iter_tiles(width, height, tile_size):
        write(tile.path, levels[tile.scale_factor].crop(tile.box))
        tile_count += 1

    for size in listed_sizes(width, height):
        write(f"full/{size[0]},{size[1]}/{IIIF_TILE_FILE}", _resized(levels, size))

    thumbnail = f"full/{canonical_size(width, height, thumbnail_size(width, height))}/"
    preview = f"full/{canonical_size(width, height, preview_size(width, height))}/"
    info = info_json(width, height, service_id=service_id, tile_size=tile_size)
    # info.json last: a staging folder without it is visibly unfinished.
    (root / "info.json").write_text(_json(info), encoding="utf-8")
    return {
        "thumbnail": thumbnail + IIIF_TILE_FILE,
        "preview": preview + IIIF_TILE_FILE,
        "full": full_path,
        "info": info,
        "tile_count": tile_count,
        "files": sorted(written.values()),
    }


def _resized(levels: dict[int, Image.Image], size: tuple[int, int]) -> Image.Image:
    """``size`` made from the smallest pyramid level that is still at least as large, so a
    Lanczos resize never works on more pixels than it needs to."""
    candidates = [
        image
        for image in levels.values()
        if image.width >= size[0] and image.height >= size[1]
    ]
    source = min(candidates, key=lambda image: image.width)
    if source.size == size:
        return source
    return source.resize(size, Image.Resampling.LANCZOS)


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
