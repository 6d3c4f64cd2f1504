"""Certificates of awarded evaluation results: an A4 PDF with the Chinese font embedded, the verification code and a
QR code that opens the public verification page."""
from __future__ import annotations

import io

from django.urls import reverse
from django.utils import timezone

from hub.links import absolute_url
from hub.pdf import cjk_font
from sharing.models.evaluations import Result


def verification_url(result: Result) -> str:
    return absolute_url(reverse("evaluations:verify") + f"?code={result.code}")


def certificate_pdf(result: Result) -> bytes:
    """One page, A4 portrait: who was awarded what, by whom and when, and how to verify it."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = cjk_font()
    application = result.application
    programme = application.programme
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(f"{programme.title} · {application.enterprise.name}")
    width, height = A4
    page.setLineWidth(2)
    page.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    page.setFont(font, 30)
    page.drawCentredString(width / 2, height - 55 * mm, "证  书")
    page.setFont(font, 14)
    page.drawCentredString(width / 2, height - 75 * mm, programme.title)
    page.setFont(font, 20)
    page.drawCentredString(width / 2, height - 110 * mm, application.enterprise.name)
    page.setFont(font, 14)
    page.drawCentredString(width / 2, height - 125 * mm, f"“{application.title}”")
    page.setFont(font, 22)
    page.drawCentredString(width / 2, height - 150 * mm, result.level.name if result.level else "")
    page.setFont(font, 12)
    issued = timezone.localtime(result.published_at or result.announced_at).strftime("%Y年%m月%d日")
    organisers = [programme.province.name] + [p.name for p in programme.co_organisers.all()]
    page.drawCentredString(width / 2, height - 180 * mm, "颁发：" + "、".join(organisers) + "质量协会")
    page.drawCentredString(width / 2, height - 190 * mm, issued)
    url = verification_url(result)
    widget = QrCodeWidget(url)
    x0, y0, x1, y1 = widget.getBounds()
    size = 32 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, page, width / 2 - size / 2, 40 * mm)
    page.setFont(font, 10)
    page.drawCentredString(width / 2, 33 * mm, f"验证码 {result.code} · 扫码或访问 {absolute_url(reverse('evaluations:verify'))} 查验")
    page.showPage()
    page.save()
    return buffer.getvalue()
