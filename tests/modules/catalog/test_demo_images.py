"""Drawn stand-in photographs for the demo collection."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from taihe.modules.catalog.demo_images import CATEGORIES, render_object_image


def digest(image: Image.Image) -> str:
    return hashlib.sha256(image.tobytes()).hexdigest()


def test_the_categories_are_the_ten_the_demo_collection_uses() -> None:
    assert CATEGORIES == ("bronze", "jade", "porcelain", "lacquer", "textile", "painting",
                          "calligraphy", "furniture", "enamel", "clock")


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_draws_an_object_on_a_studio_backdrop(category: str) -> None:
    # when
    image = render_object_image(category, 7)
    # then
    assert (image.mode, image.size) == ("RGB", (1200, 1500))
    pixels = np.asarray(image).astype(int)
    corner = pixels[:40, :40].reshape(-1, 3)
    centre = pixels[600:900, 450:750].reshape(-1, 3)
    # the corner is neutral grey paper; the centre holds the object, which differs from it
    assert corner.min() > 150
    assert int(np.abs(corner[:, 0] - corner[:, 2]).max()) <= 20
    assert float(np.abs(centre - corner.mean(axis=0)).mean()) > 15


@pytest.mark.parametrize("category", CATEGORIES)
def test_the_same_seed_gives_the_same_pixels(category: str) -> None:
    assert digest(render_object_image(category, 3)) == digest(render_object_image(category, 3))


@pytest.mark.parametrize("category", CATEGORIES)
def test_different_seeds_give_different_pictures(category: str) -> None:
    # when
    images = [np.asarray(render_object_image(category, seed)).astype(int)
              for seed in range(4)]
    # then no two are the same, and they differ by more than noise
    for first in range(4):
        for second in range(first + 1, 4):
            assert float(np.abs(images[first] - images[second]).mean()) > 2.0


def test_categories_differ_for_the_same_seed() -> None:
    digests = {digest(render_object_image(category, 1)) for category in CATEGORIES}
    assert len(digests) == len(CATEGORIES)


def test_another_size_is_drawn_to_that_size() -> None:
    assert render_object_image("porcelain", 2, size=(400, 300)).size == (400, 300)


def test_an_unknown_category_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="unknown demo image category 'ivory'; use one of "
                                         "bronze, jade, porcelain"):
        render_object_image("ivory", 1)


def test_a_tiny_size_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        render_object_image("jade", 1, size=(10, 10))
