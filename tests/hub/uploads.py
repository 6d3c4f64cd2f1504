"""Small real files of every accepted kind, and impostors, for upload tests."""
import io
import zipfile

from PIL import Image

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'  <svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'


def ooxml(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(f"{part}/document.xml", "<w:document/>")
    return buffer.getvalue()


def opendocument(mime: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mime, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#0b3d91").save(buffer, fmt)
    return buffer.getvalue()


ACCEPTED = {
    "通知.pdf": PDF,
    "会议纪要.doc": OLE2,
    "成果汇总.docx": ooxml("word"),
    "专家名单.xlsx": ooxml("xl"),
    "宣讲.pptx": ooxml("ppt"),
    "统计.xls": OLE2,
    "材料.odt": opendocument("application/vnd.oasis.opendocument.text"),
    "名单.csv": "姓名,单位\n张三,上海市质量协会\n".encode(),
    "名单（GBK）.csv": "姓名,单位\n张三,上海市质量协会\n".encode("gb18030"),
    "说明.txt": "质量月活动安排：九月。".encode(),
    "照片.png": image("PNG"),
    "照片.jpg": image("JPEG"),
    "照片.gif": image("GIF"),
    "照片.webp": image("WEBP"),
}
MARKUP_IMPOSTORS = {
    "网页.pdf": HTML,
    "网页.txt": HTML,
    "网页.docx": HTML,
    "矢量图.png": SVG,
    "矢量图.csv": SVG,
    "带BOM的网页.txt": b"\xef\xbb\xbf\n" + HTML,
    "UTF16网页.txt": "<html><script>1</script></html>".encode("utf-16"),
    "藏了脚本.csv": "姓名,备注\n张三,<script>alert(1)</script>\n".encode(),
}
MISMATCHED = {
    "图片冒充.pdf": image("PNG"),
    "压缩包冒充.doc": ooxml("word"),
    "程序.txt": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00\xff" * 64,
    "PDF冒充.png": PDF,
    "PDF冒充.xlsx": PDF,
}
