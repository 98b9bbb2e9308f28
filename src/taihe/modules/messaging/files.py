"""Files in conversations: uploads with image previews, and downloads for members.

A file is uploaded first (``do_upload``) and sent with a message later
(``services.do_send_message(attachment_ids=...)``); until then only its uploader sees it.
Once sent, every active member of the conversation may download it; nobody else learns it
exists (404, the same as for a file that does not exist).

The type of a file is never taken from the browser's word for images: the first bytes
decide (JPEG, PNG, GIF, WebP), and only those are ever shown inline. Everything else is
served as a download with ``nosniff``, so a crafted HTML or SVG file cannot run in the
site's origin.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
import uuid
import warnings
from io import BytesIO
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from taihe.kernel.http.pages import not_found
from taihe.modules.messaging import operations as ops
from taihe.modules.messaging import services
from taihe.modules.messaging.models import Attachment, Member

DEFAULT_MAX_UPLOAD_MB = 50
PREVIEW_LONG_EDGE = 480
# A 48-megapixel phone photo must get a preview; a crafted file claiming 50 000 × 50 000
# pixels (7.5 GB of RGB) must not be decoded in a web request. Checked on the header,
# before any pixel is read; Pillow's own bomb check is turned into an error as well.
MAX_PREVIEW_PIXELS = 64_000_000
JPEG_QUALITY = 82

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
               "WEBP": "image/webp"}
"""Pillow decoders tried on an upload; no other plugin ever parses untrusted bytes."""

_NAME_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def max_upload_bytes() -> int:
    return int(getattr(settings, "TAIHE_MESSAGING_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB)) \
        * 1024 * 1024


def sniff_image(head: bytes) -> str | None:
    """The MIME type of a JPEG, PNG, GIF or WebP file from its first 12 bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_name(name: str) -> str:
    """A file name safe to show and to send in ``Content-Disposition``: the last path
    component, without control or reserved characters, at most 255 characters with its
    extension kept. Chinese names stay as they are."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[/\\]", text)[-1]
    text = _NAME_FORBIDDEN.sub("", text).strip().strip(".").strip()
    if not text:
        return _("file")
    if len(text) > 255:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            text = stem[:255 - len(extension) - 1] + "." + extension
        else:
            text = text[:255]
    return text


def _guessed_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    # Only files whose bytes prove them raster images may call themselves images.
    return "application/octet-stream" if guessed.startswith("image/") else guessed[:120]


def _preview(upload: Any) -> tuple[bytes, str, int, int] | None:
    """(preview bytes, extension, width, height as displayed) or None when the image
    cannot be decoded safely; the file itself is kept either way."""
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=list(IMAGE_TYPES)) as image:
                if image.width * image.height > MAX_PREVIEW_PIXELS:
                    return None
                image.seek(0)  # the first frame of an animation
                width, height = _display_size(image)
                if image.format == "JPEG":
                    # decode at a reduced scale: far less memory for a large photograph
                    image.draft("RGB", (PREVIEW_LONG_EDGE * 2, PREVIEW_LONG_EDGE * 2))
                oriented = ImageOps.exif_transpose(image)
                oriented.thumbnail((PREVIEW_LONG_EDGE, PREVIEW_LONG_EDGE))
                transparent = oriented.mode in ("RGBA", "LA", "PA") or (
                    oriented.mode == "P" and "transparency" in oriented.info)
                out = BytesIO()
                if transparent:
                    oriented.convert("RGBA").save(out, "PNG", optimize=True)
                    extension = "png"
                else:
                    oriented.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
                    extension = "jpg"
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, OSError, ValueError, SyntaxError,
            EOFError, MemoryError):
        return None
    finally:
        upload.seek(0)
    return out.getvalue(), extension, width, height


def _display_size(image: Image.Image) -> tuple[int, int]:
    """The size as shown: EXIF orientations 5 to 8 turn the picture a quarter."""
    width, height = image.size
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block only loses the rotation
        orientation = 1
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def do_upload(actor: Any, conversation_id: int, uploaded_file: Any) -> Attachment:
    """Store a file for the caller's next message in the conversation; images get a
    preview. Raises ``PermissionDenied`` (no chat, or an announcement channel the caller
    may not post in), ``NotFound`` (not an active member), ``Conflict`` (archived),
    ``ValidationFailed`` (field ``file``: missing, empty or too large). Emits no event:
    the file becomes part of the record when its message is sent."""
    resolved = services.chatting_actor(actor)
    me = services.person_id_of(resolved)
    member = services.membership(conversation_id, me)
    if member.conversation.archived_at is not None:
        raise Conflict(_("This conversation is archived; it can be read but not changed."))
    if not services.may_post(member, resolved):
        raise PermissionDenied(_("Only the owner and admins post in this channel."))
    if uploaded_file is None:
        raise ValidationFailed(fields={"file": _("Choose a file.")})
    size = int(uploaded_file.size or 0)
    limit = max_upload_bytes()
    if size > limit:
        raise ValidationFailed(fields={"file": _(
            "A file may be at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)}})
    if size == 0:
        raise ValidationFailed(fields={"file": _("The file is empty.")})
    name = clean_name(uploaded_file.name or "")
    uploaded_file.seek(0)
    sniffed = sniff_image(uploaded_file.read(12))
    uploaded_file.seek(0)
    preview = _preview(uploaded_file) if sniffed else None
    content_type = sniffed or _guessed_type(name)
    # Stored under a random name: the person's file name is data, never a path.
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    stored = uuid.uuid4().hex + ("." + extension if re.fullmatch(r"[a-z0-9]{1,10}",
                                                                 extension) else "")
    attachment = Attachment(conversation=member.conversation, uploaded_by_id=me, name=name,
                            content_type=content_type, size=size)
    attachment.file.save(stored, uploaded_file, save=False)
    try:
        if preview is not None:
            data, preview_extension, width, height = preview
            attachment.preview.save(f"{uuid.uuid4().hex}.{preview_extension}",
                                    ContentFile(data), save=False)
            attachment.width, attachment.height = width, height
        with transaction.atomic():
            attachment.save()
    except BaseException:
        for field in (attachment.file, attachment.preview):
            if field:
                field.delete(save=False)
        raise
    return attachment


# --- downloads ----------------------------------------------------------------------------

def _visible_attachment(request: HttpRequest, attachment_id: int) -> Attachment | None:
    """The attachment if the caller may see it: an active member of its conversation,
    the file sent in a message not recalled, or not yet sent and uploaded by the caller."""
    actor = authz.actor_for(request.user)
    if actor.user_id is None or not authz.can(actor, ops.CHAT.code):
        return None
    found = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if found is None:
        return None
    if not Member.objects.filter(conversation_id=found.conversation_id,
                                 person_id=actor.user_id, left_at__isnull=True).exists():
        return None
    if found.message is None:
        return found if found.uploaded_by_id == actor.user_id else None
    if found.message.recalled_at is not None:
        return None
    return found


def _serve(request: HttpRequest, field: Any, *, inline: bool, content_type: str,
           name: str) -> HttpResponseBase:
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        return not_found(request, _("The file is missing from storage; tell IT."))
    response = FileResponse(handle, as_attachment=not inline, filename=name,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=0"
    return response


@login_required
def download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """The file itself: images whose bytes proved them inline, everything else as a
    download. Anyone but a member of the conversation gets 404."""
    found = _visible_attachment(request, attachment_id)
    if found is None:
        return not_found(request)
    inline = bool(found.preview)
    return _serve(request, found.file, inline=inline,
                  content_type=found.content_type if inline else "application/octet-stream",
                  name=found.name)


@login_required
def preview(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """An image's preview (at most 480 pixels on its longer side), inline."""
    found = _visible_attachment(request, attachment_id)
    if found is None or not found.preview:
        return not_found(request)
    is_png = found.preview.name.endswith(".png")
    stem = found.name.rpartition(".")[0] or found.name
    return _serve(request, found.preview, inline=True,
                  content_type="image/png" if is_png else "image/jpeg",
                  name=f"{stem}-preview.{'png' if is_png else 'jpg'}")
