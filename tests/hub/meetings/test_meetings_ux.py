"""Meetings as their people meet them: who answers for a province, the secretariat's meetings, host rights that
end, the 督办 board, the participant picker, history versions and exports."""
import datetime
import io

import pycrdt
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from hub.meetings import export as minutes_export
from hub.meetings import notes
from hub.meetings import selectors as sel
from hub.meetings import services as svc
from hub.models import Meeting, NoteUpdate, Participant, Province
from tests.hub.meetings.factories import ActionItemFactory, MeetingFactory
from tests.hub.meetings.test_meetings import everyone_participates, write_notes

pytestmark = pytest.mark.django_db


def closed_meeting(staff_of, **kwargs):
    meeting = MeetingFactory(**kwargs)
    everyone_participates(meeting)
    write_notes(meeting)
    svc.meeting_close(actor=staff_of(meeting.host.code, "editor"), meeting_id=meeting.pk)
    return meeting


# --- #12.5 who answers for a province ----------------------------------------------------------------------
def test_observer_cannot_confirm_the_minutes_for_their_province(staff_of):
    meeting = closed_meeting(staff_of)
    zj = Province.objects.get(code="ZJ")
    observer = staff_of("ZJ", "member")
    Participant.objects.create(meeting=meeting, user=observer, role="observer")
    with pytest.raises(PermissionDenied):
        svc.minutes_answer(actor=observer, meeting_id=meeting.pk, province=zj, decision="confirm")
    assert not meeting.minutes.answers.exists()
    allowed, reason = sel.minutes_answer_allowed(user=observer, meeting=meeting, province=zj)
    assert not allowed and "列席" in str(reason)


def test_observer_sees_why_they_cannot_confirm(client_for, staff_of):
    meeting = closed_meeting(staff_of)
    observer = staff_of("ZJ", "member")
    Participant.objects.create(meeting=meeting, user=observer, role="observer")
    client = client_for(observer)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "以浙江" not in page and 'data-answer-refused' in page and "列席" in page
    zj = Province.objects.get(code="ZJ")
    client.post(f"/meetings/{meeting.pk}/answer/", {"province": zj.pk, "decision": "confirm"})
    assert not meeting.minutes.answers.exists()


def test_editor_and_moderator_of_the_province_may_answer(staff_of):
    meeting = closed_meeting(staff_of)
    zj, sh = Province.objects.get(code="ZJ"), Province.objects.get(code="SH")
    moderator = staff_of("ZJ", "moderator")
    Participant.objects.create(meeting=meeting, user=moderator, role="observer")
    svc.minutes_answer(actor=moderator, meeting_id=meeting.pk, province=zj, decision="confirm")
    svc.minutes_answer(actor=staff_of("SH", "editor"), meeting_id=meeting.pk, province=sh, decision="confirm")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SIGNED


# --- the secretariat sees and opens its meetings -----------------------------------------------------------
def test_secretariat_lists_and_opens_every_meeting_it_keeps(client_for, user_factory):
    secretariat = user_factory(role="secretariat")
    client = client_for(secretariat)
    response = client.post("/meetings/new/", {
        "title": "第七次圆桌会议", "host": Province.objects.get(code="AH").pk,
        "starts_at": (timezone.now() + datetime.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"), "agenda": "开场"})
    meeting = Meeting.objects.get(title="第七次圆桌会议")
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    other = MeetingFactory(title="另一次会议", host=Province.objects.get(code="JX"),
                           created_by=user_factory(role="secretariat"))
    internal = MeetingFactory(title="江西内部会议", host=Province.objects.get(code="JX"))
    listing = client.get("/meetings/").content.decode()
    assert meeting.title in listing and other.title in listing
    assert sel.notes_role(user=secretariat, meeting_id=other.pk) == "observer"
    assert sel.notes_roles(meeting_id=other.pk, user_ids=[secretariat.pk]) == {secretariat.pk: "observer"}
    # A province's own meeting is not the secretariat's to read (the read canary plants one).
    assert internal.title not in listing
    assert sel.notes_role(user=secretariat, meeting_id=internal.pk) is None
    assert sel.notes_roles(meeting_id=internal.pk, user_ids=[secretariat.pk]) == {}
    assert client.get(f"/meetings/{internal.pk}/").status_code == 404


def test_the_secretariat_invites_people_to_the_meeting_it_scheduled_until_it_is_signed(client_for, user_factory,
                                                                                        staff_of):
    secretariat = user_factory(role="secretariat")
    client = client_for(secretariat)
    guest = staff_of("JX", "member")
    meeting = svc.meeting_create(actor=secretariat, title="第八次圆桌会议", host=Province.objects.get(code="AH"),
                                 starts_at=timezone.now() + datetime.timedelta(days=10),
                                 participants=[(staff_of("AH", "editor"), "editor")])
    assert "管理参会人" in client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert client.get(f"/meetings/{meeting.pk}/participants/", {"q": guest.username}).status_code == 200
    client.post(f"/meetings/{meeting.pk}/participants/", {"user": guest.pk, "role": "observer"})
    assert meeting.participants.filter(user=guest).exists()
    assert not sel.can_administer(secretariat, meeting)  # starting and closing stay with the host
    # a province's own meeting is not the secretariat's to arrange
    internal = MeetingFactory(host=Province.objects.get(code="JX"), status=Meeting.Status.SCHEDULED)
    with pytest.raises(PermissionDenied):
        svc.participant_add(actor=secretariat, meeting=internal, who=guest, role="observer")
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.SIGNED)
    meeting.refresh_from_db()
    with pytest.raises(PermissionDenied):
        svc.participant_add(actor=secretariat, meeting=meeting, who=staff_of("SH", "member"), role="observer")


# --- host rights end ---------------------------------------------------------------------------------------
def test_host_rights_end_when_the_minutes_are_signed(staff_of, client_for):
    meeting = closed_meeting(staff_of)
    host_editor = staff_of("SH", "editor")
    assert sel.can_administer(host_editor, meeting)
    answerers = {code: staff_of(code, "editor") for code in ("SH", "ZJ")}
    for code, answerer in answerers.items():
        svc.minutes_answer(actor=answerer, meeting_id=meeting.pk, province=Province.objects.get(code=code),
                           decision="confirm")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SIGNED
    assert not sel.can_administer(host_editor, meeting)
    with pytest.raises(PermissionDenied):
        svc.participant_add(actor=host_editor, meeting=meeting, who=staff_of("JS", "editor"), role="editor")
    assert client_for(host_editor).get(f"/meetings/{meeting.pk}/participants/").status_code == 403


# --- the 督办 board ----------------------------------------------------------------------------------------
def test_every_province_s_staff_read_the_board_with_filters(client_for, staff_of, user_factory):
    zj, sh = Province.objects.get(code="ZJ"), Province.objects.get(code="SH")
    owner = staff_of("ZJ", "editor")
    today = timezone.localdate()
    late = ActionItemFactory(text="逾期的浙江事项", owner_province=zj, owner_user=owner,
                             due=today - datetime.timedelta(days=2))
    ActionItemFactory(text="远期的浙江事项", owner_province=zj, due=today + datetime.timedelta(days=60))
    ActionItemFactory(text="上海的事项", owner_province=sh, due=today + datetime.timedelta(days=5))
    reader = client_for(staff_of("AH", "member"))
    response = reader.get("/actions/province/zj/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "逾期的浙江事项" in page and "远期的浙江事项" in page and "上海的事项" not in page
    assert "标记办结" not in page  # reading is not owning
    everything = reader.get("/actions/").content.decode()
    assert all(t in everything for t in ("逾期的浙江事项", "远期的浙江事项", "上海的事项"))
    overdue = reader.get("/actions/", {"due": "overdue"}).content.decode()
    assert "逾期的浙江事项" in overdue and "上海的事项" not in overdue and "远期的浙江事项" not in overdue
    week = reader.get("/actions/", {"due": "7"}).content.decode()
    assert "上海的事项" in week and "远期的浙江事项" not in week
    by_owner = reader.get("/actions/", {"owner": owner.pk}).content.decode()
    assert "逾期的浙江事项" in by_owner and "远期的浙江事项" not in by_owner
    assert client_for(user_factory()).get("/actions/").status_code == 404
    # marking done stays with the owner
    reader.post(f"/actions/{late.pk}/done/", {"evidence": "已办结"})
    late.refresh_from_db()
    assert late.status == "open"


def test_done_refuses_a_next_to_another_host(client_for, staff_of):
    item = ActionItemFactory(owner_province=Province.objects.get(code="ZJ"))
    response = client_for(staff_of("ZJ", "editor")).post(
        f"/actions/{item.pk}/done/", {"evidence": "已办结", "next": "https://elsewhere.example/"})
    assert response.status_code == 302 and "elsewhere" not in response["Location"]


# --- participant picker ------------------------------------------------------------------------------------
def test_host_finds_participants_by_name_and_province(client_for, staff_of, user_factory):
    meeting = MeetingFactory()
    host = client_for(staff_of("SH", "editor"))
    person = user_factory(province_code="ZJ", role="reviewer", first_name="晓明", last_name="王")
    page = host.get(f"/meetings/{meeting.pk}/participants/", {"q": "晓明"}).content.decode()
    assert f'data-candidate="{person.username}"' in page
    page = host.get(f"/meetings/{meeting.pk}/participants/", {"q": "浙江"}).content.decode()
    assert f'data-candidate="{person.username}"' in page and 'data-candidate-group="ZJ editors"' in page
    page = host.get(f"/meetings/{meeting.pk}/participants/", {"province": "JS", "q": "晓明"}).content.decode()
    assert f'data-candidate="{person.username}"' not in page
    response = host.post(f"/meetings/{meeting.pk}/participants/?q=%E6%99%93%E6%98%8E",
                         {"user": person.pk, "role": "observer"})
    assert response.status_code == 302
    assert Participant.objects.filter(meeting=meeting, user=person, role="observer").exists()
    host.post(f"/meetings/{meeting.pk}/participants/", {"user": person.pk, "role": "observer"})
    assert Participant.objects.filter(meeting=meeting, user=person).count() == 1
    host.post(f"/meetings/{meeting.pk}/participants/", {"user": "x", "role": "editor"})
    assert Participant.objects.filter(meeting=meeting).count() == 1


# --- history -----------------------------------------------------------------------------------------------
def append(meeting, doc, before, author):
    return notes.append_updates(meeting_id=meeting.pk, items=[
        notes.Pending(doc.get_update(before), author.pk, frozenset())])[0]


def test_history_keeps_automatic_versions_every_few_minutes_of_activity(staff_of):
    meeting = MeetingFactory()
    editor = staff_of("SH", "editor")
    doc = pycrdt.Doc()
    fragment = doc.get(notes.FRAGMENT, type=pycrdt.XmlFragment)
    text = None
    window = svc.AUTO_VERSION_MINUTES * 60  # windows are aligned to the clock: start on a boundary
    start = datetime.datetime.fromtimestamp((int(timezone.now().timestamp()) // window) * window - 3600,
                                            tz=datetime.UTC)
    for minute, words in ((0, "九点"), (1, "，九点零一"), (12, "，九点十二"), (13, "，九点十三"), (40, "，九点四十")):
        before = doc.get_state()
        if text is None:  # the paragraph goes into the first update
            text = fragment.children.append(pycrdt.XmlElement("paragraph")).children.append(pycrdt.XmlText())
        text.insert(len(text), words)
        seq = append(meeting, doc, before, editor)
        NoteUpdate.objects.filter(meeting=meeting, seq=seq).update(created=start + datetime.timedelta(minutes=minute))
    versions = svc.history_versions(meeting.pk)
    assert [v["seq"] for v in versions] == [2, 4, 5]  # the end of each 5-minute window with activity
    assert versions[-1].get("current") and not versions[0].get("current")
    assert [line.text for line in svc.version_lines(meeting.pk, 2)] == ["九点，九点零一"]


def formatted(meeting, editor, chunks):
    doc = pycrdt.Doc()
    fragment = doc.get(notes.FRAGMENT, type=pycrdt.XmlFragment)
    before = doc.get_state()
    text = fragment.children.append(pycrdt.XmlElement("paragraph")).children.append(pycrdt.XmlText())
    for value, marks in chunks:
        text.insert(len(text), value, marks or {})
    append(meeting, doc, before, editor)
    return doc, text


def test_history_diff_is_rich_html_with_marks_kept(staff_of, client_for):
    meeting = MeetingFactory()
    editor = staff_of("SH", "editor")
    doc, text = formatted(meeting, editor, [("普通", None), ("粗体", {"bold": {}}), ("<斜体>", {"italic": {}})])
    before = doc.get_state()
    text.insert(len(text), "新增", {"bold": {}})
    append(meeting, doc, before, editor)
    diff = svc.notes_diff(meeting_id=meeting.pk, old_seq=1, new_seq=2)
    assert len(diff) == 1 and diff[0][0] == "~"
    html = diff[0][1]
    assert "<strong>粗体</strong>" in html and "<em>&lt;斜体&gt;</em>" in html
    assert "<ins><strong>新增</strong></ins>" in html
    page = client_for(editor).get(f"/meetings/{meeting.pk}/history/", {"a": 1, "b": 2}).content.decode()
    assert "<ins><strong>新增</strong></ins>" in page and "&lt;斜体&gt;" in page


def test_restore_asks_for_confirmation_first(staff_of, client_for):
    meeting = MeetingFactory()
    editor = staff_of("SH", "editor")
    doc, text = formatted(meeting, editor, [("第一版", None)])
    NoteUpdate.objects.filter(meeting=meeting).update(created=timezone.now() - datetime.timedelta(minutes=30))
    before = doc.get_state()
    text.insert(len(text), "，后来改了")
    append(meeting, doc, before, editor)
    client = client_for(editor)
    history = client.get(f"/meetings/{meeting.pk}/history/").content.decode()
    assert f"/meetings/{meeting.pk}/restore/?seq=1" in history
    assert f'action="/meetings/{meeting.pk}/restore/"' not in history
    response = client.post(f"/meetings/{meeting.pk}/restore/", {"seq": 1})  # no confirmation: nothing written
    assert NoteUpdate.objects.filter(meeting=meeting).count() == 2
    confirm = client.get(f"/meetings/{meeting.pk}/restore/", {"seq": 1}).content.decode()
    assert "data-confirm-restore" in confirm and "<del>，后来改了</del>" in confirm
    assert NoteUpdate.objects.filter(meeting=meeting).count() == 2
    response = client.post(f"/meetings/{meeting.pk}/restore/", {"seq": 1, "confirm": "yes"})
    assert response.status_code == 302
    assert [line.text for line in svc.version_lines(meeting.pk, 3)] == ["第一版"]
    observer = staff_of("ZJ", "member")
    Participant.objects.create(meeting=meeting, user=observer, role="observer")
    assert client_for(observer).get(f"/meetings/{meeting.pk}/restore/", {"seq": 1}).status_code == 403


# --- exports -----------------------------------------------------------------------------------------------
@pytest.fixture
def signed_formatted(staff_of):
    meeting = MeetingFactory(title="第十次圆桌会议")
    everyone_participates(meeting)
    editor, zj_editor = staff_of("SH", "editor"), staff_of("ZJ", "editor")
    zj_editor.first_name = "周确认"
    zj_editor.save()
    formatted(meeting, editor, [("决定", None), ("加粗内容", {"bold": {}}), ("和", None), ("斜体内容", {"italic": {}})])
    doc, _ = notes.build_doc(meeting.pk)
    before = doc.get_state()
    tasks = doc.get(notes.FRAGMENT, type=pycrdt.XmlFragment).children.append(pycrdt.XmlElement("taskList"))
    item = tasks.children.append(pycrdt.XmlElement("taskItem", {"checked": False}))
    item.children.append(pycrdt.XmlElement("paragraph")).children.append(
        pycrdt.XmlText("完善成果共享库 @浙江 2026-12-31"))
    append(meeting, doc, before, editor)
    minutes = svc.meeting_close(actor=editor, meeting_id=meeting.pk)
    svc.minutes_answer(actor=zj_editor, meeting_id=meeting.pk, province=Province.objects.get(code="ZJ"),
                       decision="confirm")
    minutes.refresh_from_db()
    return minutes


def test_exports_keep_bold_italic_list_action_items_and_who_confirmed(signed_formatted):
    from docx import Document
    from docx.shared import Mm

    md = minutes_export.to_markdown(signed_formatted)
    assert "决定**加粗内容**和*斜体内容*" in md
    assert "## 督办事项" in md and "完善成果共享库" in md and "浙江" in md.split("## 督办事项")[1]
    assert "浙江省：确认（周确认" in md or "浙江：确认（周确认" in md
    assert "上海" in md.split("## 各省市意见")[1] and "待确认" in md.split("## 各省市意见")[1]
    document = Document(io.BytesIO(minutes_export.to_docx(signed_formatted)))
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    runs = [(r.text, r.bold, r.italic) for p in document.paragraphs for r in p.runs]
    assert ("加粗内容", True, None) in runs and ("斜体内容", None, True) in runs
    texts = "\n".join(p.text for p in document.paragraphs)
    assert "督办事项" in texts and "完善成果共享库" in texts and "周确认" in texts
    pdf = minutes_export.to_pdf(signed_formatted)
    assert pdf.startswith(b"%PDF")


def test_person_colours_are_the_same_in_the_browser_and_on_the_server():
    import re
    from pathlib import Path

    from django.conf import settings

    script = (Path(settings.BASE_DIR) / "frontend" / "notes" / "colours.js").read_text()
    palette = re.search(r"PERSON_PALETTE = \[([^\]]*)\]", script).group(1)
    assert re.findall(r"'(#[0-9a-f]{6})'", palette) == list(sel.PERSON_PALETTE)
    assert len(set(sel.PERSON_PALETTE)) == len(sel.PERSON_PALETTE)


def test_rich_diff_of_long_blocks_stays_fast_and_marks_only_the_middle():
    import time

    from hub.meetings.richtext import Line, rich_diff

    old = Line("p", runs=[("甲" * 6000, ()), ("旧", ("bold",)), ("乙" * 6000, ())])
    new = Line("p", runs=[("甲" * 6000, ()), ("新", ("bold",)), ("乙" * 6000, ())])
    started = time.perf_counter()
    (op, html), = rich_diff([old], [new])
    assert time.perf_counter() - started < 2.0
    assert op == "~" and "<del><strong>旧</strong></del><ins><strong>新</strong></ins>" in html
    rewrite = rich_diff([Line("p", runs=[("旧" * 3000, ())])], [Line("p", runs=[("新" * 3000, ())])])
    assert "<del>" + "旧" * 3000 + "</del><ins>" + "新" * 3000 + "</ins>" in rewrite[0][1]
