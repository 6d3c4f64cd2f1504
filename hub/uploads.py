"""Upload rules for Wagtail documents (images are checked by Wagtail itself, which opens every image with Willow).

Wagtail checks the extension (``WAGTAILDOCS_EXTENSIONS``) and the size (``WAGTAILDOCS_MAX_UPLOAD_SIZE``); this
form base, named by ``WAGTAILDOCS_DOCUMENT_FORM_BASE``, also checks that the content is what the extension claims,
so that an HTML page or an SVG drawing (both can run script in a browser) is refused under any name. Documents
are served as attachments (``WAGTAILDOCS_INLINE_CONTENT_TYPES = []``), never shown inline.
"""
from __future__ import annotations

import filetype
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.documents.forms import BaseDocumentForm

SNIFF_BYTES = 8192
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office 97–2003 (doc/xls/ppt) compound file
ZIP_SIGNATURE = b"PK\x03\x04"  # Office Open XML and OpenDocument files are ZIP archives
MARKUP = ("<html", "<!doctype", "<svg", "<script", "<?xml", "<body", "<iframe", "<object", "<embed")
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")  # what Chinese spreadsheets and notes are saved in
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

NOT_WHAT_IT_CLAIMS = _("文件内容与扩展名 .%(ext)s 不符，请上传真实的 %(kind)s 文件。")
MARKUP_REFUSED = _("不接受网页（HTML）或矢量图（SVG）文件，即使改了扩展名也不行。请转换为 PDF 后上传。")
UNKNOWN_TYPE = _("不支持 .%(ext)s 文件。可上传 PDF、Office 文档、CSV/TXT 或常见图片。")

KINDS = {
    "pdf": "PDF",
    **{ext: "Office" for ext in ("doc", "xls", "ppt", "docx", "xlsx", "pptx", "odt", "ods", "odp")},
    "txt": _("纯文本"), "csv": "CSV",
    **{ext: _("图片") for ext in ("png", "jpg", "jpeg", "gif", "webp")},
}


def _as_text(head: bytes) -> str | None:
    """The sniffed bytes as text, or None when they are binary (a known file signature, or no text encoding fits)."""
    if filetype.guess(head) is not None:
        return None
    if head[:2] in UTF16_BOMS:
        return head.decode("utf-16", errors="replace")
    if b"\x00" in head:
        return None
    for encoding in TEXT_ENCODINGS:
        try:
            return head.decode(encoding)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut off at the end of the sniffed bytes is still text.
            if exc.start >= len(head) - 4:
                return head[: exc.start].decode(encoding)
    return None


def _looks_like_markup(head: bytes, ext: str) -> bool:
    """Browsers sniff a file that starts with a tag as HTML/SVG; text files may not hide tags anywhere."""
    text = _as_text(head)
    if text is None:
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    return lowered.startswith("<") or (ext in ("txt", "csv") and any(tag in lowered for tag in MARKUP))


def _content_matches(ext: str, head: bytes) -> bool:
    guessed = filetype.guess_extension(head)
    if ext == "pdf":
        return head.lstrip()[:5] == b"%PDF-"
    if ext in ("doc", "xls", "ppt"):
        return head.startswith(OLE2_SIGNATURE)
    if ext in ("docx", "xlsx", "pptx", "odt", "ods", "odp"):
        return head.startswith(ZIP_SIGNATURE) and guessed in (ext, "zip", None)
    if ext in ("txt", "csv"):
        return _as_text(head) is not None
    if ext in ("jpg", "jpeg"):
        return guessed in ("jpg", "jpeg")
    if ext in ("png", "gif", "webp"):
        return guessed == ext
    return False


def check_document_content(file) -> None:
    """Raise ValidationError unless ``file``'s first bytes are what its extension claims, and are not markup."""
    name = getattr(file, "name", "") or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(position)
    if _looks_like_markup(head, ext):
        raise ValidationError(MARKUP_REFUSED, code="markup")
    if ext not in KINDS:
        raise ValidationError(UNKNOWN_TYPE, code="extension", params={"ext": ext})
    if not _content_matches(ext, head):
        raise ValidationError(NOT_WHAT_IT_CLAIMS, code="content", params={"ext": ext, "kind": KINDS[ext]})


class DocumentForm(BaseDocumentForm):
    """Wagtail's document form, plus the content check; used for every upload path of the admin."""

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if file and "file" in self.changed_data:
            check_document_content(file)
        return file
