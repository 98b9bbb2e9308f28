"""Intake checks and IIIF level-0 derivatives of catalog images."""

from __future__ import annotations

import hashlib
import json
import math
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from taihe.modules.catalog import imaging
from taihe.modules.catalog.imaging import ImageRejected, inspect_image, make_derivatives

BASE = "https://museum.example/iiif/images"


def two_colour_image(width: int, height: int) -> Image.Image:
    """Left half red, right half blue: where a tile came from shows in its colour."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = (200, 30, 30)
    pixels[:, width // 2 :] = (30, 30, 200)
    return Image.fromarray(pixels)


def save(image: Image.Image, path: Path, **options: Any) -> Path:
    image.save(path, **options)
    return path


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG that claims ``width × height`` pixels but holds none (a decompression bomb's
    header costs nothing to make)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    return path


# --- inspect_image -------------------------------------------------------------------------


def test_inspect_describes_a_jpeg_with_its_sha256(tmp_path: Path) -> None:
    # given
    path = save(two_colour_image(640, 480), tmp_path / "bowl.jpg", quality=90)
    # when
    facts = inspect_image(path)
    # then
    assert facts == imaging.ImageFacts(
        width=640, height=480, mime_type="image/jpeg",
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


@pytest.mark.parametrize(
    ("suffix", "pillow_format", "mime_type"),
    [("png", "PNG", "image/png"), ("tif", "TIFF", "image/tiff"),
     ("webp", "WEBP", "image/webp")],
)
def test_inspect_accepts_png_tiff_and_webp(
    tmp_path: Path, suffix: str, pillow_format: str, mime_type: str
) -> None:
    # given
    path = save(two_colour_image(300, 200), tmp_path / f"scan.{suffix}", format=pillow_format)
    # when
    facts = inspect_image(path)
    # then
    assert (facts.width, facts.height, facts.mime_type) == (300, 200, mime_type)


def test_inspect_reads_an_upload_and_leaves_it_open_and_rewound(tmp_path: Path) -> None:
    # given a browser upload
    data = save(two_colour_image(120, 80), tmp_path / "vase.png").read_bytes()
    upload = SimpleUploadedFile("vase.png", data, content_type="image/png")
    upload.read(10)
    # when
    facts = inspect_image(upload)
    # then
    assert facts == imaging.ImageFacts(120, 80, "image/png", hashlib.sha256(data).hexdigest())
    assert not upload.closed
    assert upload.tell() == 0


def test_an_upload_in_another_format_is_named_by_its_file_name(tmp_path: Path) -> None:
    data = save(two_colour_image(20, 20), tmp_path / "x.gif", format="GIF").read_bytes()
    with pytest.raises(ImageRejected) as caught:
        inspect_image(SimpleUploadedFile("scan 12.gif", data))
    assert str(caught.value.detail) == "scan 12.gif is a GIF image; use JPEG, PNG, TIFF or WebP."


def test_inspect_reports_the_size_as_displayed_after_exif_rotation(tmp_path: Path) -> None:
    # given a camera file stored 300 × 200 with "rotate 90° clockwise" (orientation 6)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = save(two_colour_image(300, 200), tmp_path / "portrait.jpg", exif=exif)
    # when
    facts = inspect_image(path)
    # then
    assert (facts.width, facts.height) == (200, 300)


def test_inspect_refuses_a_file_that_is_not_an_image(tmp_path: Path) -> None:
    # given
    path = tmp_path / "notes.jpg"
    path.write_text("object 1990.12.3, bronze ding", encoding="utf-8")
    # when
    with pytest.raises(ImageRejected) as caught:
        inspect_image(path)
    # then
    assert caught.value.code == "image_not_an_image"
    assert caught.value.fields == {"image": "notes.jpg is not an image file."}


@pytest.mark.parametrize(("suffix", "pillow_format"), [("gif", "GIF"), ("bmp", "BMP")])
def test_inspect_refuses_other_image_formats_by_name(
    tmp_path: Path, suffix: str, pillow_format: str
) -> None:
    # given
    path = save(two_colour_image(40, 30), tmp_path / f"old.{suffix}", format=pillow_format)
    # when
    with pytest.raises(ImageRejected) as caught:
        inspect_image(path)
    # then
    assert caught.value.code == "image_format_unsupported"
    assert str(caught.value.detail) == (
        f"old.{suffix} is a {pillow_format} image; use JPEG, PNG, TIFF or WebP."
    )


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(("width", "height"), [(20_000, 10_001), (40_000, 40_000)])
def test_inspect_refuses_more_than_two_hundred_megapixels(
    tmp_path: Path, width: int, height: int
) -> None:
    # given a header just over the limit, and one far over Pillow's own bomb threshold
    path = png_header_only(tmp_path / "bomb.png", width, height)
    # when
    with pytest.raises(ImageRejected) as caught:
        inspect_image(path)
    # then
    assert caught.value.code == "image_too_large"
    assert "200 megapixels" in str(caught.value.detail)
    assert str(caught.value.detail).startswith("bomb.png ")


def test_inspect_accepts_exactly_two_hundred_megapixels_in_the_header(tmp_path: Path) -> None:
    # given a header at the limit (it holds no pixel data, so decoding it fails next)
    path = png_header_only(tmp_path / "edge.png", 20_000, 10_000)
    # when
    with pytest.raises(ImageRejected) as caught:
        inspect_image(path)
    # then the size passed and only the missing pixel data is reported
    assert caught.value.code == "image_corrupt"


def test_inspect_refuses_a_truncated_jpeg(tmp_path: Path) -> None:
    # given an upload cut off half way
    whole = save(two_colour_image(800, 600), tmp_path / "whole.jpg", quality=95)
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    # when
    with pytest.raises(ImageRejected) as caught:
        inspect_image(path)
    # then
    assert caught.value.code == "image_corrupt"
    assert str(caught.value.detail).startswith("cut.jpg is damaged or incomplete")


def test_inspect_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(tmp_path / "gone.jpg")
    assert caught.value.code == "image_missing"


# --- the tile arithmetic ---------------------------------------------------------------------


def test_scale_factors_double_until_the_whole_image_fits_one_tile() -> None:
    assert imaging.scale_factors_for(6000, 4000, 512) == [1, 2, 4, 8, 16]
    assert imaging.scale_factors_for(512, 512, 512) == [1]
    assert imaging.scale_factors_for(513, 100, 512) == [1, 2]


def test_tiles_of_an_awkward_size_follow_the_implementation_notes() -> None:
    # given 1100 × 700 in 256-pixel tiles: scale factors 1, 2, 4, 8
    # when
    tiles = list(imaging.iter_tiles(1100, 700, 256))
    paths = {tile.path for tile in tiles}
    # then: 5×3 + 3×2 + 2×1 + 1 tiles, with edge tiles rounded up (implementation notes §3)
    assert len(tiles) == 15 + 6 + 2 + 1
    assert "0,0,256,256/256,256/0/default.jpg" in paths
    assert "1024,512,76,188/76,188/0/default.jpg" in paths
    assert "1024,0,76,700/19,175/0/default.jpg" in paths
    assert "512,512,512,188/256,94/0/default.jpg" in paths
    assert "full/138,88/0/default.jpg" in paths


def test_a_small_image_is_one_tile_at_full_size_named_max() -> None:
    assert [tile.path for tile in imaging.iter_tiles(300, 200, 512)] == [
        "full/max/0/default.jpg"
    ]


def openseadragon_tile_urls(info: dict[str, Any]) -> set[str]:
    """The tile paths OpenSeadragon's IIIFTileSource.getTileUrl asks a version-3 service for
    (openseadragon/src/iiiftilesource.js), re-stated here independently of our code."""
    width, height = info["width"], info["height"]
    tiles = info["tiles"][0]
    tile = tiles["width"]
    max_level = int(math.log2(max(tiles["scaleFactors"])))
    urls: set[str] = set()
    for level in range(max_level + 1):
        scale = 0.5 ** (max_level - level)
        level_w, level_h = math.ceil(width * scale), math.ceil(height * scale)
        source_tile = round(tile / scale)
        for y in range(math.ceil(level_h / tile)):
            for x in range(math.ceil(level_w / tile)):
                if level_w < tile and level_h < tile:
                    size = ("max" if (level_w, level_h) == (width, height)
                            else f"{level_w},{level_h}")
                    urls.add(f"full/{size}/0/default.jpg")
                    continue
                tx, ty = x * source_tile, y * source_tile
                tw, th = min(source_tile, width - tx), min(source_tile, height - ty)
                region = ("full" if (x, y) == (0, 0) and (tw, th) == (width, height)
                          else f"{tx},{ty},{tw},{th}")
                sw, sh = min(tile, level_w - x * tile), min(tile, level_h - y * tile)
                size = "max" if (sw, sh) == (width, height) else f"{sw},{sh}"
                urls.add(f"{region}/{size}/0/default.jpg")
    return urls


# --- make_derivatives --------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height", "tile_size"),
                         [(1100, 700, 256), (3073, 3073, 512), (1024, 1024, 512),
                          (5000, 300, 512), (300, 200, 512)])
def test_every_tile_openseadragon_requests_exists_at_its_size(
    tmp_path: Path, width: int, height: int, tile_size: int
) -> None:
    # given
    source = save(two_colour_image(width, height), tmp_path / "master.png")
    # when
    result = make_derivatives(source, tmp_path / "iiif", identifier="7", base_url=BASE,
                              tile_size=tile_size)
    # then every URL the viewer builds is a file whose pixels match the size in its name
    urls = openseadragon_tile_urls(result.info)
    assert urls
    for url in urls:
        path = result.directory / url
        assert path.is_file(), url
        size = url.split("/")[1]
        with Image.open(path) as tile:
            expected = (width, height) if size == "max" else tuple(map(int, size.split(",")))
            assert tile.size == expected, url


def test_derivatives_of_a_large_photograph(tmp_path: Path) -> None:
    # given a 2000 × 1000 master (red left, blue right)
    source = save(two_colour_image(2000, 1000), tmp_path / "master.png")
    # when
    result = make_derivatives(source, tmp_path / "iiif", identifier="1990-12-3",
                              base_url=BASE + "/")
    # then info.json is a level-0 ImageService3 document (Image API 3.0 §5)
    on_disk = json.loads((result.directory / "info.json").read_text(encoding="utf-8"))
    assert on_disk == result.info == {
        "@context": "http://iiif.io/api/image/3/context.json",
        "id": "https://museum.example/iiif/images/1990-12-3",
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": "level0",
        "width": 2000,
        "height": 1000,
        "sizes": [{"width": 125, "height": 63}, {"width": 250, "height": 125},
                  {"width": 400, "height": 200}, {"width": 500, "height": 250},
                  {"width": 1000, "height": 500}, {"width": 1600, "height": 800}],
        "tiles": [{"width": 512, "scaleFactors": [1, 2, 4]}],
    }
    # and every listed size, the thumbnail, the preview and max exist at their sizes
    for size in on_disk["sizes"]:
        with Image.open(result.directory / "full" / f"{size['width']},{size['height']}"
                        / "0" / "default.jpg") as image:
            assert image.size == (size["width"], size["height"])
    assert result.thumbnail == result.directory / "full/400,200/0/default.jpg"
    assert result.preview == result.directory / "full/1600,800/0/default.jpg"
    with Image.open(result.full) as full:
        assert full.size == (2000, 1000)
    assert result.full == result.directory / "full/max/0/default.jpg"
    # and a tile shows the part of the picture its region names
    with Image.open(result.directory / "1536,512,464,488/464,488/0/default.jpg") as tile:
        red, _green, blue = (int(v) for v in np.asarray(tile).reshape(-1, 3).mean(axis=0))
    assert blue > 150 > 60 > red
    assert result.tile_count == 4 * 2 + 2 * 1 + 1


def test_derivatives_apply_the_exif_orientation(tmp_path: Path) -> None:
    # given a file stored 900 × 600 that the camera marked "rotate 90° clockwise"
    exif = Image.Exif()
    exif[0x0112] = 6
    source = save(two_colour_image(900, 600), tmp_path / "upright.jpg", exif=exif)
    # when
    result = make_derivatives(source, tmp_path / "iiif", identifier="5", base_url=BASE)
    # then the service is portrait and the red half (stored left) is now on top
    assert (result.info["width"], result.info["height"]) == (600, 900)
    with Image.open(result.full) as full:
        pixels = np.asarray(full).astype(int)
    assert pixels[100, 300, 0] > 150 > 60 > pixels[800, 300, 0]


def test_sixteen_bit_greyscale_keeps_its_tones(tmp_path: Path) -> None:
    # given a 16-bit X-radiograph at 40 000 of 65 535
    pixels = np.full((200, 300), 40_000, dtype=np.uint16)
    source = save(Image.fromarray(pixels), tmp_path / "xray.tif", format="TIFF")
    # when
    result = make_derivatives(source, tmp_path / "iiif", identifier="xray", base_url=BASE)
    # then it is mid-grey (40000 >> 8 = 156), not clipped to white
    with Image.open(result.full) as full:
        assert abs(int(np.asarray(full).mean()) - 156) <= 2


def test_transparent_areas_become_white(tmp_path: Path) -> None:
    # given
    source = save(Image.new("RGBA", (64, 64), (0, 0, 0, 0)), tmp_path / "cutout.png")
    # when
    result = make_derivatives(source, tmp_path / "iiif", identifier="cut", base_url=BASE)
    # then
    with Image.open(result.full) as full:
        assert int(np.asarray(full).min()) >= 250


def test_a_crash_part_way_leaves_the_previous_set_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a complete set made from a 1200 × 800 image
    out = tmp_path / "iiif"
    make_derivatives(save(two_colour_image(1200, 800), tmp_path / "a.png"), out,
                     identifier="9", base_url=BASE)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    # when regenerating from another image fails after ten files
    written: list[str] = []
    real_save = imaging._save_jpeg

    def failing_save(image: Image.Image, root: Path, relative: str, quality: int) -> Path:
        if len(written) == 10:
            raise OSError("disk full")
        written.append(relative)
        return real_save(image, root, relative, quality)

    monkeypatch.setattr(imaging, "_save_jpeg", failing_save)
    with pytest.raises(OSError, match="disk full"):
        make_derivatives(save(two_colour_image(3000, 2000), tmp_path / "b.png"), out,
                         identifier="9", base_url=BASE)
    # then the old set is whole and no staging folder is left behind
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert json.loads((out / "9" / "info.json").read_text(encoding="utf-8"))["width"] == 1200


def test_regenerating_replaces_the_set(tmp_path: Path) -> None:
    # given
    out = tmp_path / "iiif"
    make_derivatives(save(two_colour_image(1200, 800), tmp_path / "a.png"), out,
                     identifier="9", base_url=BASE)
    # when
    result = make_derivatives(save(two_colour_image(700, 500), tmp_path / "b.png"), out,
                              identifier="9", base_url=BASE)
    # then only the new set remains: no old tiles, no hidden folders
    assert [p.name for p in out.iterdir()] == ["9"]
    assert not (out / "9" / "0,0,512,512").exists()
    assert result.info["width"] == 700
    assert sorted(str(p) for p in result.files) == sorted(
        str(p.relative_to(out / "9")) for p in (out / "9").rglob("*.jpg")
    )


def test_a_non_image_source_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    # given
    source = tmp_path / "readme.tif"
    source.write_text("not a scan", encoding="utf-8")
    # when
    with pytest.raises(ImageRejected):
        make_derivatives(source, tmp_path / "iiif", identifier="1", base_url=BASE)
    # then
    assert not (tmp_path / "iiif").exists()


@pytest.mark.parametrize("identifier", ["", "../etc", "a/b", ".hidden"])
def test_an_unsafe_identifier_is_refused(tmp_path: Path, identifier: str) -> None:
    source = save(two_colour_image(10, 10), tmp_path / "x.png")
    with pytest.raises(ValueError, match="identifier"):
        make_derivatives(source, tmp_path / "iiif", identifier=identifier, base_url=BASE)


def test_canonical_size_names_the_full_size_max() -> None:
    assert imaging.canonical_size(6000, 4000, (6000, 4000)) == "max"
    assert imaging.canonical_size(6000, 4000, (400, 267)) == "400,267"
    assert imaging.thumbnail_size(6000, 4000) == (400, 267)
    assert imaging.preview_size(4000, 6000) == (1067, 1600)
    assert imaging.thumbnail_size(300, 200) == (300, 200)
    assert imaging.full_image_url(
        "https://m.example/iiif/3", 6000, 4000, (400, 267)
    ) == "https://m.example/iiif/3/full/400,267/0/default.jpg"


def test_a_panorama_wider_than_jpeg_allows_is_capped_in_info_json() -> None:
    # when
    info = imaging.info_json(70_000, 2_000, service_id="https://m.example/iiif/p",
                             tile_size=512)
    # then (65 500 / 70 000 × 2 000 = 1 871.4)
    assert (info["maxWidth"], info["maxHeight"]) == (65_500, 1_871)
