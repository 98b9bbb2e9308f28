"""Background jobs of the catalog: ids in, idempotent."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from taihe.kernel.jobs import job
from taihe.modules.catalog import imaging
from taihe.modules.catalog.models import Media

IIIF_DIRECTORY = "iiif"
"""Under MEDIA_ROOT: one folder per image, laid out as IIIF Image API URLs."""
IIIF_PLACEHOLDER_BASE = "https://iiif.invalid/iiif/image"
"""info.json is written with this base; the image view puts the real address in."""


def iiif_root() -> Path:
    return Path(settings.MEDIA_ROOT) / IIIF_DIRECTORY


@job(name="catalog.media.derivatives", queue="default", max_retries=2, backoff_seconds=30.0)
def make_media_derivatives(media_id: int) -> None:
    """Thumbnail, preview and IIIF level-0 tiles of one image. Re-running rewrites the same
    files (written aside, swapped in whole)."""
    media = Media.objects.filter(pk=media_id).first()
    if media is None:
        return  # removed before the job ran
    imaging.make_derivatives(Path(media.original.path), iiif_root(),
                             identifier=imaging.media_identifier(media.pk),
                             base_url=IIIF_PLACEHOLDER_BASE)
    Media.objects.filter(pk=media_id).update(tiles_ready=True)


@job(name="catalog.media.remove", queue="default", max_retries=2, backoff_seconds=30.0)
def remove_media_files(media_id: int, original: str) -> None:
    """Delete an image's files once its row is gone."""
    if Media.objects.filter(pk=media_id).exists():
        return
    shutil.rmtree(iiif_root() / imaging.media_identifier(media_id), ignore_errors=True)
    if original and default_storage.exists(original):
        default_storage.delete(original)


@job(name="catalog.import.run", queue="ingest", max_retries=0)
def run_import_job(run_id: int) -> None:
    """A browser import, run in the background with its report kept on the run."""
    from taihe.modules.catalog.importer import execute_run

    execute_run(run_id)
