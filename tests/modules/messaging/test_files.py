"""Files in conversations: uploads (image previews, sniffed types, limits, names) and
downloads only for the members of the conversation (and, before sending, the uploader)."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from taihe.kernel.testing.matrix import database_state
from taihe.modules.messaging import files, services
from taihe.modules.messaging.models import Attachment, Conversation
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

P = "/api/v1/messaging"
ORIENTATION = 0x0112


def image_bytes(size: tuple[int, int], fmt: str, *, mode: str = "RGB",
                orientation: int | None = None) -> bytes:
    image = Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)
                      if mode == "RGB" else 0)
    out = BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def upload(client: Client, conversation_id: int, name: str, data: bytes,
           content_type: str = "application/octet-stream") -> Any:
    return client.post(f"{P}/conversations/{conversation_id}/files",
                       data={"file": SimpleUploadedFile(name, data, content_type)})


def fetched(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# --- uploading ------------------------------------------------------------------------------

def test_a_photo_gets_a_preview_turned_upright(li: Any, group: Conversation,
                                               client_for: Callable[[Any], Client]) -> None:
    """Given a JPEG stored 800 × 400 with EXIF orientation 6 (turned a quarter), when Li
    uploads it, then it is recorded as 400 × 800 and its preview is 240 × 480."""
    data = image_bytes((800, 400), "JPEG", orientation=6)

    response = upload(client_for(li), group.pk, "scroll.JPG", data, "text/html")

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert response.json() == {
        "id": attachment.pk, "name": "scroll.JPG", "size": len(data),
        "content_type": "image/jpeg", "url": f"/chat/files/{attachment.pk}/",
        "preview_url": f"/chat/files/{attachment.pk}/preview", "width": 400,
        "height": 800}
    with Image.open(attachment.preview.open("rb")) as preview:
        assert (preview.format, preview.size) == ("JPEG", (240, 480))
    assert (attachment.uploaded_by_id, attachment.message_id) == (li.pk, None)


def test_a_transparent_png_keeps_its_transparency(li: Any, group: Conversation,
                                                  client_for: Callable[[Any], Client]) -> None:
    response = upload(client_for(li), group.pk, "stamp.png",
                      image_bytes((100, 50), "PNG", mode="RGBA"))

    assert response.status_code == 201
    body = response.json()
    assert (body["content_type"], body["width"], body["height"]) == ("image/png", 100, 50)
    with Image.open(Attachment.objects.get().preview.open("rb")) as preview:
        assert (preview.format, preview.mode, preview.size) == ("PNG", "RGBA", (100, 50))


@pytest.mark.parametrize(("fmt", "content_type"), [("GIF", "image/gif"),
                                                   ("WEBP", "image/webp")])
def test_gif_and_webp_get_previews(fmt: str, content_type: str, li: Any, group: Conversation,
                                   client_for: Callable[[Any], Client]) -> None:
    response = upload(client_for(li), group.pk, f"x.{fmt.lower()}",
                      image_bytes((960, 480), fmt))

    assert response.status_code == 201
    assert (response.json()["content_type"], response.json()["width"]) == (content_type, 960)
    with Image.open(Attachment.objects.get().preview.open("rb")) as preview:
        assert preview.size == (480, 240)


def test_a_document_is_stored_without_preview(li: Any, group: Conversation,
                                              client_for: Callable[[Any], Client]) -> None:
    response = upload(client_for(li), group.pk, "condition report.pdf", b"%PDF-1.7\n...")

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["content_type"], body["size"], body["preview_url"],
            body["width"], body["height"]) == ("condition report.pdf", "application/pdf", 12,
                                               None, None, None)
    assert not Attachment.objects.get().preview


def test_a_file_only_named_like_an_image_is_no_image(li: Any, group: Conversation,
                                                    client_for: Callable[[Any], Client]) -> None:
    """Given HTML named ``cat.png``, then it is stored as bytes of no particular type and
    gets no preview: only its own bytes make a file an image."""
    response = upload(client_for(li), group.pk, "cat.png", b"<script>alert(1)</script>",
                      "image/png")

    assert response.status_code == 201
    assert (response.json()["content_type"], response.json()["preview_url"]) == \
        ("application/octet-stream", None)


def test_a_decompression_bomb_is_kept_as_a_file_without_preview(
        li: Any, group: Conversation, client_for: Callable[[Any], Client]) -> None:
    """Given a small PNG that unpacks to 100 megapixels, then no pixel is decoded: the file
    is kept, with no preview and no dimensions."""
    data = image_bytes((10_000, 10_000), "PNG", mode="1")

    response = upload(client_for(li), group.pk, "huge.png", data)

    assert response.status_code == 201
    assert (response.json()["content_type"], response.json()["preview_url"],
            response.json()["width"]) == ("image/png", None, None)


def test_a_broken_image_is_kept_as_a_file(li: Any, group: Conversation,
                                          client_for: Callable[[Any], Client]) -> None:
    response = upload(client_for(li), group.pk, "torn.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 64)

    assert response.status_code == 201
    assert (response.json()["preview_url"], response.json()["width"]) == (None, None)


def test_a_file_over_the_limit_is_refused(li: Any, group: Conversation, settings: Any,
                                          client_for: Callable[[Any], Client]) -> None:
    settings.TAIHE_MESSAGING_MAX_UPLOAD_MB = 1
    before = database_state()

    response = upload(client_for(li), group.pk, "scan.tif", b"\0" * (1024 * 1024 + 1))

    assert response.status_code == 422
    body = response.json()
    body.pop("request_id")
    assert body == {"detail": "Some values are not valid.", "code": "invalid",
                    "fields": {"file": "A file may be at most 1 MB."}}
    assert database_state() == before


def test_a_missing_or_empty_file_names_the_field(li: Any, group: Conversation,
                                                 client_for: Callable[[Any], Client]) -> None:
    client = client_for(li)
    missing = client.post(f"{P}/conversations/{group.pk}/files", data={})
    empty = upload(client, group.pk, "empty.txt", b"")

    assert (missing.status_code, missing.json()["fields"]) == (422, {"file": "Choose a file."})
    assert (empty.status_code, empty.json()["fields"]) == (422, {"file": "The file is empty."})
    assert Attachment.objects.count() == 0


def test_uploads_need_membership_an_open_conversation_and_the_right_to_post(
        li: Any, zhang: Any, group: Conversation, museum: Any,
        client_for: Callable[[Any], Client]) -> None:
    stranger = PersonFactory(username="stranger", roles=["staff"], department=museum["lab"])
    channel = services.do_create_group(PersonFactory(username="director", roles=["administrator"],
                                                     department=museum["root"]),
                                       title="News", member_ids=[zhang.pk], kind="channel")
    data = b"notes"

    answers = [upload(client_for(stranger), group.pk, "a.txt", data).status_code,
               upload(client_for(zhang), channel.pk, "a.txt", data).status_code]
    Conversation.objects.filter(pk=group.pk).update(archived_at=timezone.now())
    answers.append(upload(client_for(li), group.pk, "a.txt", data).status_code)

    assert answers == [404, 403, 409]
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize(("given", "kept"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\li\\修复报告.docx", "修复报告.docx"),
    ('a<b>:"c"|?*.txt', "abc.txt"),
    ("line\nbreak\x00.txt", "linebreak.txt"),
    ("...", "file"),
    ("", "file"),
    ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
])
def test_file_names_are_made_safe(given: str, kept: str) -> None:
    assert files.clean_name(given) == kept


def test_the_stored_file_name_is_not_the_persons(li: Any, group: Conversation,
                                                 client_for: Callable[[Any], Client]) -> None:
    upload(client_for(li), group.pk, "../secret plan.txt", b"plan")

    attachment = Attachment.objects.get()
    assert attachment.name == "secret plan.txt"
    assert "secret" not in attachment.file.name
    assert attachment.file.name.startswith("messaging/") and attachment.file.name.endswith(".txt")


# --- downloading ----------------------------------------------------------------------------

def _sent(client: Client, conversation_id: int, name: str, data: bytes) -> int:
    attachment_id = int(upload(client, conversation_id, name, data).json()["id"])
    response = client.post(f"{P}/conversations/{conversation_id}/messages",
                           data=json.dumps({"body": "", "attachment_ids": [attachment_id]}),
                           content_type="application/json")
    assert response.status_code == 201
    return attachment_id


def test_members_download_a_document_as_an_attachment(
        li: Any, zhang: Any, group: Conversation, client_for: Callable[[Any], Client]) -> None:
    attachment_id = _sent(client_for(li), group.pk, "报告.html", b"<h1>report</h1>")

    response = client_for(zhang).get(f"/chat/files/{attachment_id}/")

    assert response.status_code == 200
    assert fetched(response) == b"<h1>report</h1>"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == \
        "attachment; filename*=utf-8''%E6%8A%A5%E5%91%8A.html"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_members_see_an_image_and_its_preview_inline(
        li: Any, zhang: Any, group: Conversation, client_for: Callable[[Any], Client]) -> None:
    data = image_bytes((1000, 500), "PNG")
    attachment_id = _sent(client_for(li), group.pk, "gallery.png", data)
    client = client_for(zhang)

    full = client.get(f"/chat/files/{attachment_id}/")
    small = client.get(f"/chat/files/{attachment_id}/preview")

    assert (full.status_code, full["Content-Type"], fetched(full)) == (200, "image/png", data)
    assert full["Content-Disposition"] == 'inline; filename="gallery.png"'
    assert (small.status_code, small["Content-Type"]) == (200, "image/jpeg")
    assert small["Content-Disposition"] == 'inline; filename="gallery-preview.jpg"'
    assert small["X-Content-Type-Options"] == "nosniff"
    with Image.open(BytesIO(fetched(small))) as preview:
        assert preview.size == (480, 240)


def test_a_stranger_cannot_download_or_preview(li: Any, group: Conversation, museum: Any,
                                               outsider: Any,
                                               client_for: Callable[[Any], Client]) -> None:
    attachment_id = _sent(client_for(li), group.pk, "a.png", image_bytes((10, 10), "PNG"))
    stranger = PersonFactory(username="stranger", roles=["staff"], department=museum["lab"])

    for person in (stranger, outsider):
        for path in (f"/chat/files/{attachment_id}/", f"/chat/files/{attachment_id}/preview",
                     f"/chat/files/{attachment_id + 1}/"):
            assert client_for(person).get(path).status_code == 404, (person, path)
    anonymous = client_for(None).get(f"/chat/files/{attachment_id}/")
    assert anonymous.status_code == 302
    assert "/chat/files/" in anonymous["Location"]


def test_an_unsent_file_is_only_the_uploaders(li: Any, zhang: Any, group: Conversation,
                                              client_for: Callable[[Any], Client]) -> None:
    attachment_id = int(upload(client_for(li), group.pk, "draft.txt", b"draft").json()["id"])

    assert client_for(zhang).get(f"/chat/files/{attachment_id}/").status_code == 404
    assert client_for(li).get(f"/chat/files/{attachment_id}/").status_code == 200

    services.do_send_message(li, group.pk, "here", attachment_ids=[attachment_id])

    assert client_for(zhang).get(f"/chat/files/{attachment_id}/").status_code == 200


def test_leaving_or_a_recall_closes_the_file(li: Any, zhang: Any, wang: Any,
                                             group: Conversation,
                                             client_for: Callable[[Any], Client]) -> None:
    attachment_id = _sent(client_for(li), group.pk, "a.txt", b"a")
    services.do_leave(wang, group.pk)

    assert client_for(wang).get(f"/chat/files/{attachment_id}/").status_code == 404
    assert client_for(zhang).get(f"/chat/files/{attachment_id}/").status_code == 200

    services.do_recall_message(li, Attachment.objects.get(pk=attachment_id).message_id)

    assert client_for(zhang).get(f"/chat/files/{attachment_id}/").status_code == 404
