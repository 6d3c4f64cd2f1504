"""Minutes exports: Markdown, DOCX (python-docx, A4) and PDF (reportlab, A4, with a Chinese font embedded).
Headings, list and checklist items, tables and text formatting (bold, italic, strike, code) survive every format;
each also lists the 督办 items and who answered for each province, and when."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone

from hub import env
from hub.meetings.richtext import block_runs
from hub.models import Minutes

#: A TrueType-outline CJK font (reportlab embeds TrueType only; Noto CJK is CFF). Debian: fonts-wqy-microhei.
PDF_FONT = env.get("HUB_PDF_FONT") or "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
ROLE_LABEL = {"editor": "编辑", "observer": "列席"}
DECISION_LABEL = {"confirm": "确认", "reservation": "保留意见"}


def _header(minutes: Minutes) -> list[tuple[str, str]]:
    meeting = minutes.meeting
    rows = [("会议", meeting.title), ("轮值主办", meeting.host.name_zh),
            ("时间", timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")),
            ("地点", meeting.place or meeting.online_link or "—")]
    if minutes.content_hash:
        rows.append(("内容哈希（SHA-256）", minutes.content_hash))
    return rows


def _attendee(a: dict) -> str:
    return f"{a['name']}（{a['province'] or '—'}，{ROLE_LABEL.get(a['role'], a['role'])}）"


def _answers(minutes: Minutes) -> list[str]:
    """One line per participating province: its answer, who gave it and when (or that it is still awaited)."""
    from hub.meetings import selectors as sel

    answered = {a.province_id: a for a in minutes.answers.select_related("province", "answered_by")}
    lines = []
    for province in sel.participating_provinces(minutes.meeting):
        a = answered.pop(province.pk, None)
        lines.append(_answer_line(a) if a else f"{province.name_zh}：待确认")
    lines += [_answer_line(a) for a in answered.values()]  # a province no longer listed still answered
    return lines


def _answer_line(a) -> str:
    who = a.answered_by.get_full_name() or a.answered_by.username
    return (f"{a.province.name_zh}：{DECISION_LABEL[a.decision]}（{who}，"
            f"{timezone.localtime(a.answered_at):%Y-%m-%d %H:%M}）" + (f"——{a.note}" if a.note else ""))


def _action_items(minutes: Minutes) -> list[str]:
    lines = []
    for item in minutes.meeting.action_items.select_related("owner_province", "owner_user").order_by("due", "pk"):
        owner = item.owner_province.name_zh
        if item.owner_user:
            owner += f"（{item.owner_user.get_full_name() or item.owner_user.username}）"
        due = f"{item.due:%Y-%m-%d}" if item.due else "未定"
        lines.append(f"{item.text} — 责任：{owner}；期限：{due}；状态：{item.get_status_display()}")
    return lines


MD_MARKS = {"bold": "**", "italic": "*", "strike": "~~", "code": "`"}


def _md_runs(block: dict) -> str:
    out = []
    for text, marks in block_runs(block):
        for mark in marks:
            wrap = MD_MARKS.get(mark)
            if wrap and text.strip():
                text = f"{wrap}{text}{wrap}"
        out.append(text)
    return "".join(out)


def to_markdown(minutes: Minutes) -> str:
    out = [f"# {minutes.meeting.title} 会议纪要", ""]
    out += [f"- **{k}**：{v}" for k, v in _header(minutes)]
    out += ["", "## 议程", ""] + [f"{i}. {item}" for i, item in enumerate(minutes.agenda, 1)]
    out += ["", "## 参会人员", ""] + [f"- {_attendee(a)}" for a in minutes.attendees]
    out += ["", "## 记录", ""]
    for b in minutes.blocks:
        indent = "  " * b.get("depth", 0)
        if b["t"] == "h":
            out += ["#" * min(b["level"] + 2, 6) + " " + _md_runs(b), ""]
        elif b["t"] == "li":
            out.append(indent + ("- " if b["kind"] == "bullet" else f"{b['n']}. ") + _md_runs(b))
        elif b["t"] == "task":
            out.append(indent + ("- [x] " if b["checked"] else "- [ ] ") + _md_runs(b))
        elif b["t"] == "table":
            rows = b["rows"] or [[]]
            width = max(len(r) for r in rows) or 1
            rows = [r + [""] * (width - len(r)) for r in rows]
            cells = lambda r: "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in r) + " |"  # noqa: E731
            out += ["", cells(rows[0]), "|" + " --- |" * width] + [cells(r) for r in rows[1:]] + [""]
        elif b["t"] == "hr":
            out += ["", "---", ""]
        elif b["t"] == "quote":
            out += ["> " + line for line in _md_runs(b).split("\n")] + [""]
        else:
            out += [_md_runs(b), ""]
    items = _action_items(minutes)
    if items:
        out += ["", "## 督办事项", ""] + [f"- {a}" for a in items]
    answers = _answers(minutes)
    if answers:
        out += ["", "## 各省市意见", ""] + [f"- {a}" for a in answers]
    addenda = list(minutes.addenda.all())
    if addenda:
        out += ["", "## 补充说明", ""] + [f"- {timezone.localtime(a.created):%Y-%m-%d}：{a.text}" for a in addenda]
    return "\n".join(out).rstrip() + "\n"


def _docx_runs(paragraph, block: dict, prefix: str = ""):
    if prefix:
        paragraph.add_run(prefix)
    for text, marks in block_runs(block):
        run = paragraph.add_run(text)
        run.bold = True if "bold" in marks else None
        run.italic = True if "italic" in marks else None
        run.font.strike = True if "strike" in marks else None
        run.underline = True if "underline" in marks else None
        if "code" in marks:
            run.font.name = "Consolas"
    return paragraph


def to_docx(minutes: Minutes) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm

    document = Document()
    for section in document.sections:  # python-docx's template is US Letter; Chinese documents are A4
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(25)
        section.top_margin = section.bottom_margin = Mm(25)
    style = document.styles["Normal"]
    style.font.name = "Microsoft YaHei"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Microsoft YaHei")
    document.add_heading(f"{minutes.meeting.title} 会议纪要", level=0)
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for key, value in _header(minutes):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = key, value
    document.add_heading("议程", level=1)
    for item in minutes.agenda:
        document.add_paragraph(item, style="List Number")
    document.add_heading("参会人员", level=1)
    for a in minutes.attendees:
        document.add_paragraph(_attendee(a), style="List Bullet")
    document.add_heading("记录", level=1)
    for b in minutes.blocks:
        depth = min(b.get("depth", 0), 2)
        suffix = "" if depth == 0 else f" {depth + 1}"
        if b["t"] == "h":
            _docx_runs(document.add_heading("", level=min(b["level"] + 1, 9)), b)
        elif b["t"] == "li":
            _docx_runs(document.add_paragraph(
                style=("List Bullet" if b["kind"] == "bullet" else "List Number") + suffix), b)
        elif b["t"] == "task":
            _docx_runs(document.add_paragraph(style="List Bullet" + suffix), b, "☑ " if b["checked"] else "☐ ")
        elif b["t"] == "table" and b["rows"]:
            width = max(len(r) for r in b["rows"]) or 1
            grid = document.add_table(rows=len(b["rows"]), cols=width)
            grid.style = "Table Grid"
            for r, row in enumerate(b["rows"]):
                for c, text in enumerate(row):
                    grid.cell(r, c).text = text
                    if r == 0 and b.get("header"):
                        for run in grid.cell(r, c).paragraphs[0].runs:
                            run.bold = True
        elif b["t"] == "quote":
            _docx_runs(document.add_paragraph(style="Quote"), b)
        elif b["t"] != "hr":
            _docx_runs(document.add_paragraph(), b)
    items = _action_items(minutes)
    if items:
        document.add_heading("督办事项", level=1)
        for a in items:
            document.add_paragraph(a, style="List Bullet")
    answers = _answers(minutes)
    if answers:
        document.add_heading("各省市意见", level=1)
        for a in answers:
            document.add_paragraph(a, style="List Bullet")
    addenda = list(minutes.addenda.all())
    if addenda:
        document.add_heading("补充说明", level=1)
        for a in addenda:
            document.add_paragraph(f"{timezone.localtime(a.created):%Y-%m-%d}：{a.text}", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "HubCJK" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("HubCJK", PDF_FONT, subfontIndex=0))
        # One face for all four: <b>/<i> must not fail on a font without bold or italic faces.
        pdfmetrics.registerFontFamily("HubCJK", normal="HubCJK", bold="HubCJK", italic="HubCJK",
                                      boldItalic="HubCJK")
    return "HubCJK"


PDF_MARKS = {"bold": "u", "italic": "u", "strike": "strike", "underline": "u"}


def _pdf_runs(block: dict) -> str:
    """reportlab paragraph markup. The embedded CJK font (WenQuanYi Micro Hei) has no bold or italic face: bold
    and italic text is set in the regular face and underlined so it still stands out on paper; strike-through
    is drawn as such."""
    out = []
    for text, marks in block_runs(block):
        html = escape(text).replace("\n", "<br/>")
        for tag in sorted({PDF_MARKS[m] for m in marks if m in PDF_MARKS}):
            html = f"<{tag}>{html}</{tag}>"
        out.append(html)
    return "".join(out)


def to_pdf(minutes: Minutes) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _pdf_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    heads = {n: ParagraphStyle(f"h{n}", parent=body, fontSize=18 - 2 * n, leading=26 - 2 * n, spaceBefore=8,
                               spaceAfter=4) for n in range(0, 5)}
    p = lambda text, style=body: Paragraph(escape(text).replace("\n", "<br/>"), style)  # noqa: E731
    rich = lambda b, style=body, prefix="": Paragraph(escape(prefix) + _pdf_runs(b), style)  # noqa: E731
    story = [p(f"{minutes.meeting.title} 会议纪要", heads[0]), Spacer(1, 4 * mm)]
    meta = Table([[p(k), p(v)] for k, v in _header(minutes)], colWidths=[35 * mm, 130 * mm])
    meta.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey)]))
    story += [meta, p("议程", heads[1])]
    story.append(ListFlowable([ListItem(p(a)) for a in minutes.agenda] or [ListItem(p("—"))],
                              bulletType="1", bulletFontName=font))
    story += [p("参会人员", heads[1])]
    story.append(ListFlowable([ListItem(p(_attendee(a))) for a in minutes.attendees] or [ListItem(p("—"))],
                              bulletType="bullet", bulletFontName=font))
    story.append(p("记录", heads[1]))
    for b in minutes.blocks:
        indent = " " * 4 * b.get("depth", 0)
        if b["t"] == "h":
            story.append(rich(b, heads[min(b["level"] + 1, 4)]))
        elif b["t"] == "li":
            story.append(rich(b, body, indent + ("• " if b["kind"] == "bullet" else f"{b['n']}. ")))
        elif b["t"] == "task":
            # The embedded font has no ballot-box glyphs; brackets read the same on paper.
            story.append(rich(b, body, indent + ("[√] " if b["checked"] else "[  ] ")))
        elif b["t"] == "table" and b["rows"]:
            width = max(len(r) for r in b["rows"]) or 1
            grid = Table([[p(c) for c in r + [""] * (width - len(r))] for r in b["rows"]])
            style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey)]
            if b.get("header"):
                style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eaeef2")))
            grid.setStyle(TableStyle(style))
            story += [Spacer(1, 2 * mm), grid, Spacer(1, 2 * mm)]
        elif b["t"] != "hr":
            story.append(rich(b))
    items = _action_items(minutes)
    if items:
        story.append(p("督办事项", heads[1]))
        story += [p("• " + a) for a in items]
    answers = _answers(minutes)
    if answers:
        story.append(p("各省市意见", heads[1]))
        story += [p("• " + a) for a in answers]
    addenda = list(minutes.addenda.all())
    if addenda:
        story.append(p("补充说明", heads[1]))
        story += [p(f"• {timezone.localtime(a.created):%Y-%m-%d}：{a.text}") for a in addenda]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=f"{minutes.meeting.title} 会议纪要",
                      leftMargin=20 * mm, rightMargin=20 * mm).build(story)
    return buffer.getvalue()
