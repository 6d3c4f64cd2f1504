"""Meetings: who takes part, closing into minutes, signing, action items, history, exports and the pages."""
import datetime
import io

import pycrdt
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hub.meetings import export as minutes_export
from hub.meetings import notes
from hub.meetings import selectors as sel
from hub.meetings import services as svc
from hub.models import ActionItem, AgendaItem, Meeting, Minutes, NoteSnapshot, NoteUpdate, Participant, Province
from hub.roles import ROLES
from tests.conftest import make_user
from tests.hub.meetings.factories import ActionItemFactory, MeetingFactory
from tests.matrix import Case, case_id, check_case, check_scoped_model

pytestmark = pytest.mark.django_db

NOTES = [
    {"t": "h", "level": 1, "text": "会议记录"},
    {"t": "p", "text": "与会各方讨论了成果共享。"},
    {"t": "li", "kind": "bullet", "n": 1, "text": "要点甲", "depth": 0},
    {"t": "table", "header": True, "rows": [["省市", "成果"], ["上海", "12"]]},
    {"t": "task", "checked": False, "text": "建立共享库 @浙江 2026-12-31", "depth": 0},
    {"t": "task", "checked": False, "text": "没有期限的事项 @江苏", "depth": 0},
    {"t": "task", "checked": True, "text": "已完成的事项 @上海 2026-10-01", "depth": 0},
]


def write_notes(meeting, blocks=NOTES, author=None):
    update = notes.seed_document(blocks)
    return notes.append_updates(meeting_id=meeting.pk, items=[
        notes.Pending(update, author.pk if author else None, frozenset(notes.update_clients(update)))])


def everyone_participates(meeting):
    from django.contrib.auth.models import Group

    from hub.roles import group_name
    for code in ("SH", "ZJ"):
        Participant.objects.create(meeting=meeting, group=Group.objects.get(name=group_name(code, __import__(
            "hub.roles", fromlist=["ROLES_BY_SLUG"]).ROLES_BY_SLUG["editor"])), role="editor")


# --- who takes part ----------------------------------------------------------------------------------------
def test_notes_role_follows_host_staff_participants_and_groups(staff_of, user_factory):
    meeting = MeetingFactory()
    host_editor, host_member = staff_of("SH", "editor"), staff_of("SH", "member")
    direct_observer, outsider = staff_of("ZJ", "member"), staff_of("ZJ", "editor")
    Participant.objects.create(meeting=meeting, user=direct_observer, role="observer")
    everyone = make_user(province_code="JS", role="reviewer")
    Participant.objects.create(meeting=meeting, group=everyone.groups.first(), role="editor")
    assert sel.notes_role(user=host_editor, meeting_id=meeting.pk) == "editor"
    assert sel.notes_role(user=host_member, meeting_id=meeting.pk) is None
    assert sel.notes_role(user=direct_observer, meeting_id=meeting.pk) == "observer"
    assert sel.notes_role(user=everyone, meeting_id=meeting.pk) == "editor"
    assert sel.notes_role(user=outsider, meeting_id=meeting.pk) is None
    everyone.is_active = False
    assert sel.notes_role(user=everyone, meeting_id=meeting.pk) is None
    assert sel.notes_roles(meeting_id=meeting.pk, user_ids=[host_editor.pk, outsider.pk, direct_observer.pk]) == {
        host_editor.pk: "editor", direct_observer.pk: "observer"}


def test_handshake_identity_is_one_query_and_agrees_with_the_rule(staff_of, user_factory,
                                                                   django_assert_num_queries):
    """The live-notes handshake (and ``notes_role``) decide access and the presence province in one statement; it
    must say what the gate-based ``notes_roles`` and ``user_province`` say, for every kind of person, and nothing
    for a meeting that is gone."""
    from django.contrib.auth import get_user_model

    meeting = MeetingFactory()
    host_editor, host_member = staff_of("SH", "editor"), staff_of("SH", "member")
    direct_observer, outsider = staff_of("ZJ", "member"), staff_of("ZJ", "editor")
    staff_and_observer = staff_of("SH", "editor")  # an observer row does not demote the host's staff
    Participant.objects.create(meeting=meeting, user=direct_observer, role="observer")
    Participant.objects.create(meeting=meeting, user=staff_and_observer, role="observer")
    via_group = make_user(province_code="JS", role="reviewer")
    Participant.objects.create(meeting=meeting, group=via_group.groups.first(), role="editor")
    secretariat = user_factory(role="secretariat")
    superuser = get_user_model().objects.create_superuser("identity-root", "root@example.org", "x")
    people = [host_editor, host_member, direct_observer, outsider, staff_and_observer, via_group, secretariat,
              superuser]
    for person in people:
        # The sweep's many-users form (``notes_roles``) asks the gate query by query: an independent answer.
        expected_role = sel.notes_roles(meeting_id=meeting.pk, user_ids=[person.pk]).get(person.pk)
        assert sel.notes_role(user=person, meeting_id=meeting.pk) == expected_role, person
        province = sel.user_province(person)
        with django_assert_num_queries(1 if not person.is_superuser else 2):
            identity = sel.notes_identity(user=person, meeting_id=meeting.pk)
        if expected_role is None:
            assert identity is None, person
            continue
        assert identity["role"] == expected_role, person
        assert identity["province"] == (province.name_zh if province else ""), person
        assert identity["colour"] == (province.colour if province else "#6e7781"), person
    assert sel.notes_identity(user=staff_and_observer, meeting_id=meeting.pk)["role"] == "editor"
    assert sel.notes_identity(user=via_group, meeting_id=meeting.pk)["province"] == Province.objects.get(
        code="JS").name_zh
    assert sel.notes_identity(user=outsider, meeting_id=meeting.pk) is None
    gone = meeting.pk
    meeting.delete()
    assert sel.notes_identity(user=superuser, meeting_id=gone) is None
    assert sel.notes_role(user=superuser, meeting_id=gone) is None
    assert sel.notes_identity(user=host_editor, meeting_id="x") is None


@pytest.mark.parametrize("sizes", [None, (1, 2)], ids=["default", "small-statements"])
def test_the_access_sweep_agrees_with_the_rule_in_a_constant_number_of_queries(staff_of, user_factory, monkeypatch,
                                                                                sizes, django_assert_num_queries):
    """The rooms' re-check (``notes_access_sweep``, compiled statements in a few sizes) must say what the
    gate-based ``notes_roles`` says for every kind of person, drop ended sessions, and say "closed" for a meeting
    that is gone; with small statements (``sizes``) the users are looked up in several chunks."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    if sizes:
        monkeypatch.setattr(sel, "SWEEP_SIZES", sizes)
    meeting = MeetingFactory()
    host_editor, host_member = staff_of("SH", "editor"), staff_of("SH", "member")
    direct_observer, outsider = staff_of("ZJ", "member"), staff_of("ZJ", "editor")
    Participant.objects.create(meeting=meeting, user=direct_observer, role="observer")
    via_group = make_user(province_code="JS", role="reviewer")
    Participant.objects.create(meeting=meeting, group=via_group.groups.first(), role="editor")
    secretariat = user_factory(role="secretariat")
    superuser = get_user_model().objects.create_superuser("sweep-root", "root@example.org", "x")
    people = [host_editor, host_member, direct_observer, outsider, via_group, secretariat, superuser]
    expected = sel.notes_roles(meeting_id=meeting.pk, user_ids=[p.pk for p in people])
    sessions = []
    for person in people:  # a browser each: a login in one client would end the previous person's session
        browser = Client()
        browser.force_login(person)
        sessions.append((person.pk, browser.session.session_key))
    verdict = sel.notes_access_sweep(meeting_id=meeting.pk, sessions=sessions)
    assert verdict.writable
    assert verdict.roles == {(pk, key): expected[pk] for pk, key in sessions if pk in expected}
    assert {pk for pk, _key in verdict.roles} == {host_editor.pk, direct_observer.pk, via_group.pk, superuser.pk}

    second = Client()
    second.force_login(host_editor)
    ended = second.session.session_key
    second.logout()  # the host editor signed out on a second device; the first session is still live
    verdict = sel.notes_access_sweep(meeting_id=meeting.pk, sessions=[*sessions, (host_editor.pk, ended)])
    assert (host_editor.pk, ended) not in verdict.roles and (host_editor.pk, sessions[0][1]) in verdict.roles
    if not sizes:
        many = [(user_factory(province_code="AH", role="member").pk, None) for _ in range(20)]
        queries = 1 if "cache" in settings.SESSION_ENGINE else 2  # the statement, and the sessions unless cached
        for crowd in (sessions, [*sessions, *many]):
            with django_assert_num_queries(queries):
                sel.notes_access_sweep(meeting_id=meeting.pk, sessions=crowd)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CLOSED)
    assert not sel.notes_access_sweep(meeting_id=meeting.pk, sessions=sessions).writable
    assert not sel.notes_access_sweep(meeting_id=meeting.pk, sessions=[]).writable
    gone = meeting.pk
    meeting.delete()
    assert sel.notes_access_sweep(meeting_id=gone, sessions=sessions) == sel.Verdict(False, {})


def test_handshake_by_user_id_loads_the_user_as_the_backend_would_in_the_same_query(staff_of, user_factory,
                                                                                      django_assert_num_queries):
    """A handshake that has only the session's user id gets the user and the identity from one statement: the same
    user ``ModelBackend.get_user`` loads (None for an inactive or unknown id), the same identity as
    ``notes_identity``."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.backends import ModelBackend

    meeting = MeetingFactory()
    host_editor, outsider = staff_of("SH", "editor"), staff_of("ZJ", "editor")
    observer = staff_of("ZJ", "member")
    Participant.objects.create(meeting=meeting, user=observer, role="observer")
    superuser = get_user_model().objects.create_superuser("handshake-root", "root@example.org", "x")
    inactive = staff_of("SH", "editor")
    inactive.is_active = False
    inactive.save()
    for person in (host_editor, outsider, observer, superuser, inactive):
        expected_user = ModelBackend().get_user(person.pk)
        expected_identity = sel.notes_identity(user=expected_user, meeting_id=meeting.pk) if expected_user else None
        # A superuser's province is asked of the gate afterwards (``user_province``: two more queries).
        with django_assert_num_queries(1 if not person.is_superuser else 3):
            user, identity = sel.notes_user_and_identity(user_id=person.pk, meeting_id=meeting.pk)
        assert identity == expected_identity, person
        if expected_user is None:
            assert user is None, person
            continue
        assert {f.attname: getattr(user, f.attname) for f in get_user_model()._meta.concrete_fields} == {
            f.attname: getattr(expected_user, f.attname) for f in get_user_model()._meta.concrete_fields}, person
        assert user.get_session_auth_hash() == expected_user.get_session_auth_hash()
    assert sel.notes_user_and_identity(user_id=10**9, meeting_id=meeting.pk) == (None, None)
    assert sel.notes_user_and_identity(user_id=host_editor.pk, meeting_id=meeting.pk + 999)[1] is None


@pytest.mark.parametrize("sizes", [None, (1, 2)], ids=["default", "small-statements"])
def test_many_handshakes_by_user_id_answer_as_each_alone_in_one_query(staff_of, monkeypatch, sizes,
                                                                        django_assert_num_queries):
    """A burst of handshakes (``notes_users_and_identities``): for every id, what the one-user form answers —
    nothing for an inactive or unknown id — from one statement (one per chunk with small statements)."""
    from django.contrib.auth import get_user_model

    if sizes:
        monkeypatch.setattr(sel, "IDENTITY_SIZES", sizes)
    meeting = MeetingFactory()
    host_editor, host_member, outsider = staff_of("SH", "editor"), staff_of("SH", "member"), staff_of("ZJ", "editor")
    observer = staff_of("ZJ", "member")
    Participant.objects.create(meeting=meeting, user=observer, role="observer")
    inactive = staff_of("SH", "editor")
    inactive.is_active = False
    inactive.save()
    people = [host_editor, host_member, outsider, observer, inactive]
    expected = {p.pk: sel.notes_user_and_identity(user_id=p.pk, meeting_id=meeting.pk) for p in people}
    ids = [p.pk for p in people] + [10**9, host_editor.pk]
    with django_assert_num_queries(1 if not sizes else 3):  # six distinct ids: one statement, or three of two
        found = sel.notes_users_and_identities(user_ids=ids, meeting_id=meeting.pk)
    assert set(found) == {pk for pk, (user, _i) in expected.items() if user is not None}
    assert inactive.pk not in found and 10**9 not in found
    fields = [f.attname for f in get_user_model()._meta.concrete_fields]
    for pk, (user, identity) in found.items():
        assert identity == expected[pk][1], pk
        assert [getattr(user, f) for f in fields] == [getattr(expected[pk][0], f) for f in fields], pk
    assert found[host_editor.pk][1]["role"] == "editor" and found[observer.pk][1]["role"] == "observer"
    assert found[outsider.pk][1] is None
    elsewhere = sel.notes_users_and_identities(user_ids=ids, meeting_id=meeting.pk + 999)
    assert set(elsewhere) == set(found) and all(identity is None for _u, identity in elsewhere.values())
    with django_assert_num_queries(0):
        assert sel.notes_users_and_identities(user_ids=[], meeting_id=meeting.pk) == {}
        assert sel.notes_users_and_identities(user_ids=[host_editor.pk], meeting_id="x") == {}


def test_participant_needs_exactly_one_of_user_or_group():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Participant.objects.create(meeting=MeetingFactory(), role="editor")


def test_rotation_gives_the_next_host(user_factory):
    secretariat = user_factory(role="secretariat")
    svc.rotation_set(actor=secretariat, codes=["SH", "JS", "ZJ", "AH", "JX"])
    MeetingFactory(host=Province.objects.get(code="JS"))
    assert svc.next_host().code == "ZJ"
    with pytest.raises(PermissionDenied):
        svc.rotation_set(actor=make_user(province_code="SH", role="editor"), codes=["SH", "JS", "ZJ", "AH", "JX"])
    with pytest.raises(ValidationError):
        svc.rotation_set(actor=secretariat, codes=["SH", "SH", "ZJ", "AH", "JX"])


# --- closing, minutes, action items ------------------------------------------------------------------------
def test_close_freezes_minutes_and_creates_action_items(staff_of):
    meeting = MeetingFactory()
    AgendaItem.objects.create(meeting=meeting, position=1, title="成果共享")
    write_notes(meeting)
    host = staff_of("SH", "editor")
    minutes = svc.meeting_close(actor=host, meeting_id=meeting.pk)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED
    assert [b["t"] for b in minutes.blocks] == ["h", "p", "li", "table", "task", "task", "task"]
    assert minutes.agenda == ["成果共享"]
    items = list(ActionItem.objects.filter(meeting=meeting))
    assert [(i.owner_province.code, i.due, i.text) for i in items] == [("ZJ", datetime.date(2026, 12, 31), "建立共享库")]
    assert notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(notes.seed_document(NOTES), None,
                                                                           frozenset())]) is None


def test_only_the_host_province_closes(staff_of):
    meeting = MeetingFactory()
    with pytest.raises(PermissionDenied):
        svc.meeting_close(actor=staff_of("ZJ", "editor"), meeting_id=meeting.pk)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.LIVE and not Minutes.objects.exists()


def test_open_items_join_the_next_meeting_agenda(staff_of, user_factory):
    item = ActionItemFactory(text="完善专家库")
    later = svc.meeting_create(actor=user_factory(role="secretariat"), title="下一次", host=Province.objects.get(
        code="ZJ"), starts_at=timezone.now() + datetime.timedelta(days=30), agenda=["开场"])
    titles = list(later.agenda_items.values_list("title", flat=True))
    assert titles[0] == "开场" and "完善专家库" in titles[1]
    assert later.agenda_items.get(position=2).action_item == item


def test_minutes_are_signed_when_every_province_answered(staff_of):
    meeting = MeetingFactory()
    everyone_participates(meeting)
    write_notes(meeting)
    svc.meeting_close(actor=staff_of("SH", "editor"), meeting_id=meeting.pk)
    sh, zj = Province.objects.get(code="SH"), Province.objects.get(code="ZJ")
    with pytest.raises(ValidationError):
        svc.minutes_answer(actor=staff_of("ZJ", "editor"), meeting_id=meeting.pk, province=zj, decision="reservation")
    with pytest.raises(PermissionDenied):
        svc.minutes_answer(actor=staff_of("ZJ", "editor"), meeting_id=meeting.pk, province=sh, decision="confirm")
    svc.minutes_answer(actor=staff_of("SH", "editor"), meeting_id=meeting.pk, province=sh, decision="confirm")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED
    with pytest.raises(ValidationError):
        svc.minutes_answer(actor=staff_of("SH", "editor"), meeting_id=meeting.pk, province=sh, decision="confirm")
    svc.minutes_answer(actor=staff_of("ZJ", "editor"), meeting_id=meeting.pk, province=zj, decision="reservation",
                       note="第三项表述需再斟酌")
    meeting.refresh_from_db()
    minutes = meeting.minutes
    assert meeting.status == Meeting.Status.SIGNED and minutes.signed_at is not None
    assert len(minutes.content_hash) == 64 and minutes.content_hash == svc.minutes_hash(minutes)
    with pytest.raises(PermissionDenied):
        svc.addendum_add(actor=staff_of("JS", "editor"), meeting_id=meeting.pk, text="补充")
    svc.addendum_add(actor=staff_of("ZJ", "editor"), meeting_id=meeting.pk, text="更正：第二项数据为 13 项")
    minutes.refresh_from_db()
    assert minutes.content_hash == svc.minutes_hash(minutes)  # addenda never change the signed record


def test_action_item_done_by_the_owner_with_evidence(staff_of):
    item = ActionItemFactory(owner_province=Province.objects.get(code="ZJ"))
    with pytest.raises(PermissionDenied):
        svc.action_item_done(actor=staff_of("SH", "editor"), item_id=item.pk, evidence="已完成")
    with pytest.raises(ValidationError):
        svc.action_item_done(actor=staff_of("ZJ", "editor"), item_id=item.pk, evidence=" ")
    svc.action_item_done(actor=staff_of("ZJ", "editor"), item_id=item.pk, evidence="见附件")
    item.refresh_from_db()
    assert item.status == "done" and item.evidence == "见附件"


def test_open_action_items_are_scoped_to_the_province(staff_of, user_factory):
    mine = ActionItemFactory(owner_province=Province.objects.get(code="SH"))
    ActionItemFactory(owner_province=Province.objects.get(code="ZJ"))
    assert list(sel.open_action_items(staff_of("SH", "member"))) == [mine]
    assert sel.open_action_items(user_factory(role="secretariat")).count() == 2


def test_action_items_restrict_by_owner(province):
    check_scoped_model(ActionItem, lambda p: ActionItemFactory(owner_province=p), province, "change")


def test_meetings_restrict_by_host(province):
    check_scoped_model(Meeting, lambda p: MeetingFactory(host=p), province, "change")


# --- history -----------------------------------------------------------------------------------------------
def test_checkpoint_diff_and_restore_keep_every_version(staff_of):
    meeting = MeetingFactory()
    editor = staff_of("SH", "editor")
    write_notes(meeting, [{"t": "p", "text": "初稿"}], editor)
    checkpoint = svc.checkpoint_create(actor=editor, meeting_id=meeting.pk, label="提交签署稿")
    doc, _ = notes.build_doc(meeting.pk)
    before = doc.get_state()
    para = doc.get(notes.FRAGMENT, type=pycrdt.XmlFragment).children[0]
    para.children[0].insert(len(para.children[0]), "（已修改）")
    notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(doc.get_update(before), editor.pk, frozenset())])
    diff = svc.notes_diff(meeting_id=meeting.pk, old_seq=checkpoint.upto_seq, new_seq=2)
    assert [op for op, _html in diff] == ["~"] and "初稿<ins>（已修改）</ins>" in diff[0][1]
    seq = svc.notes_restore(actor=editor, meeting_id=meeting.pk, upto_seq=checkpoint.upto_seq, confirmed=True)
    assert seq == 3 and NoteUpdate.objects.filter(meeting=meeting).count() == 3
    assert [line.text for line in svc.version_lines(meeting.pk, 3)] == ["初稿"]
    assert [line.text for line in svc.version_lines(meeting.pk, 2)] == ["初稿（已修改）"]
    assert [v["label"] for v in svc.history_versions(meeting.pk)][0] == "提交签署稿"
    with pytest.raises(PermissionDenied):
        svc.notes_restore(actor=staff_of("ZJ", "editor"), meeting_id=meeting.pk, upto_seq=1, confirmed=True)


def formatted_notes(fragment):
    """Notes as Tiptap's Collaboration extension (y-prosemirror) writes them: marks as text formatting attributes,
    node attributes on the elements, lists nested in list items, a checked task, a table with a header row."""
    def add(children, tag, attrs=None, chunks=(), kids=()):
        el = children.append(pycrdt.XmlElement(tag, attrs or {}))
        if chunks:
            text = el.children.append(pycrdt.XmlText())
            for value, marks in chunks:
                text.insert(len(text), value, marks or {})
        for kid in kids:
            add(el.children, *kid)
        return el

    link = {"link": {"href": "https://example.org/纪要", "target": "_blank", "rel": "noopener", "class": None}}
    add(fragment.children, "heading", {"level": 2}, [("会议记录", None)])
    intro = add(fragment.children, "paragraph", {}, [("普通", None), ("粗体", {"bold": {}}),
                                                     ("粗斜", {"bold": {}, "italic": {}}), ("删除", {"strike": {}}),
                                                     ("代码", {"code": {}}), ("链接", link)])
    intro.children.append(pycrdt.XmlElement("hardBreak"))
    tail = intro.children.append(pycrdt.XmlText())
    tail.insert(0, "第二行", {"italic": {}})
    add(fragment.children, "orderedList", {"start": 3}, kids=[
        ("listItem", {}, (), [("paragraph", {}, [("第一项", {"bold": {}})]),
                              ("bulletList", {}, (), [("listItem", {}, (), [
                                  ("paragraph", {}, [("嵌套", {"italic": {}})]),
                                  ("bulletList", {}, (), [("listItem", {}, (), [
                                      ("paragraph", {}, [("更深", {"code": {}})])])])])])])])
    add(fragment.children, "taskList", kids=[
        ("taskItem", {"checked": True}, (), [("paragraph", {}, [("已办", None)])]),
        ("taskItem", {"checked": False}, (), [("paragraph", {}, [("待办 @浙江 2026-12-31", None)]),
                                              ("taskList", {}, (), [("taskItem", {"checked": True}, (), [
                                                  ("paragraph", {}, [("子项", {"strike": {}})])])])])])
    add(fragment.children, "table", kids=[
        ("tableRow", {}, (), [("tableHeader", {"colspan": 2, "rowspan": 1, "colwidth": [120, 80]}, (),
                               [("paragraph", {}, [("表头", {"bold": {}})])])]),
        ("tableRow", {}, (), [("tableCell", {"colspan": 1, "rowspan": 2}, (), [("paragraph", {}, [("甲", None)])]),
                              ("tableCell", {"colspan": 1, "rowspan": 1}, (), [("paragraph",)])])])
    add(fragment.children, "codeBlock", {"language": "python"}, [("x = 1", None)])
    add(fragment.children, "blockquote", kids=[("paragraph", {}, [("引用", {"italic": {}})])])
    add(fragment.children, "horizontalRule")


def notes_tree(doc):
    """The notes as a nested, comparable structure: tags, element attributes, text chunks with their formatting."""
    def node(n):
        if isinstance(n, pycrdt.XmlText):
            return ("#text", [(value, {k: v for k, v in (attrs or {}).items() if v is not None})
                              for value, attrs in n.diff()])
        return (n.tag, dict(sorted(dict(n.attributes).items())), [node(c) for c in n.children])

    return [node(n) for n in doc.get(notes.FRAGMENT, type=pycrdt.XmlFragment).children]


def test_restore_brings_back_formatting_attributes_and_nesting_exactly(staff_of):
    meeting = MeetingFactory()
    editor = staff_of("SH", "editor")
    doc = pycrdt.Doc()
    formatted_notes(doc.get(notes.FRAGMENT, type=pycrdt.XmlFragment))
    notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(doc.get_update(), editor.pk, frozenset())])
    checkpoint = svc.checkpoint_create(actor=editor, meeting_id=meeting.pk, label="定稿前")
    original = notes_tree(notes.build_doc(meeting.pk, checkpoint.upto_seq)[0])
    assert original == notes_tree(doc)

    # Later edits: formatting removed, a task unchecked, an attribute changed, text typed, a block deleted.
    current, _ = notes.build_doc(meeting.pk)
    before = current.get_state()
    fragment = current.get(notes.FRAGMENT, type=pycrdt.XmlFragment)
    intro = fragment.children[1].children[0]
    intro.format(0, len(intro), {"bold": None, "italic": None, "strike": None, "code": None, "link": None})
    intro.insert(len(intro), "补充")
    fragment.children[3].children[0].attributes["checked"] = False
    fragment.children[0].attributes["level"] = 1
    del fragment.children[4]
    notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(current.get_update(before), editor.pk,
                                                                     frozenset())])
    changed = notes_tree(notes.build_doc(meeting.pk)[0])
    assert changed != original

    seq = svc.notes_restore(actor=editor, meeting_id=meeting.pk, upto_seq=checkpoint.upto_seq, confirmed=True)
    assert seq == 3 and list(NoteUpdate.objects.filter(meeting=meeting).values_list("seq", flat=True)) == [1, 2, 3]
    restored, last = notes.build_doc(meeting.pk)
    assert last == 3 and notes_tree(restored) == original
    assert notes_tree(notes.build_doc(meeting.pk, 2)[0]) == changed  # history intact: every version stays
    assert notes_tree(notes.build_doc(meeting.pk, 1)[0]) == original


def test_restore_content_copies_embeds_and_wide_characters_and_empties_the_rest():
    source, target = pycrdt.Doc(), pycrdt.Doc()
    text = source.get(notes.FRAGMENT, type=pycrdt.XmlFragment).children.append(
        pycrdt.XmlElement("paragraph")).children.append(pycrdt.XmlText())
    text.insert(0, "表情😀", {"bold": {}})
    text.insert_embed(len(text), {"image": "a.png"}, {})
    text.insert(len(text), "后", {"italic": {}})
    target.get(notes.FRAGMENT, type=pycrdt.XmlFragment).children.append(
        pycrdt.XmlElement("heading", {"level": 1}, [pycrdt.XmlText("将被替换")]))
    update = notes.restore_content(target, source)
    replica = pycrdt.Doc()
    replica.apply_update(target.get_update())
    assert notes_tree(target) == notes_tree(source) == notes_tree(replica)
    assert update != notes.EMPTY_UPDATE


def test_compaction_snapshot_loads_the_same_document(staff_of, monkeypatch):
    monkeypatch.setattr("hub.meetings.log.SNAPSHOT_EVERY", 3)
    meeting = MeetingFactory()
    client = __import__("tests.hub.meetings.ywsclient", fromlist=["YClient"]).YClient()
    for word in ("一", "二", "三", "四"):
        client.append_text(word)
        items = [notes.Pending(pycrdt.read_message(m[2:]), None, frozenset()) for m in client.take()]
        notes.append_updates(meeting_id=meeting.pk, items=items)
    snapshot = notes.compact(meeting_id=meeting.pk)
    assert snapshot is not None and NoteSnapshot.objects.count() == 1
    doc, last = notes.build_doc(meeting.pk)
    assert last == snapshot.upto_seq and notes.blocks_lines(notes.doc_blocks(doc)) == ["一二三四"]


# --- exports -----------------------------------------------------------------------------------------------
@pytest.fixture
def closed_minutes(staff_of):
    meeting = MeetingFactory(title="第九次圆桌会议")
    write_notes(meeting)
    return svc.meeting_close(actor=staff_of("SH", "editor"), meeting_id=meeting.pk)


def test_markdown_export_keeps_headings_lists_tables(closed_minutes):
    text = minutes_export.to_markdown(closed_minutes)
    assert "### 会议记录" in text and "- 要点甲" in text and "| 上海 | 12 |" in text
    assert "- [ ] 建立共享库 @浙江 2026-12-31" in text and "- [x] 已完成的事项" in text


def test_docx_export_keeps_headings_lists_tables(closed_minutes):
    from docx import Document

    document = Document(io.BytesIO(minutes_export.to_docx(closed_minutes)))
    styles = {(p.style.name, p.text) for p in document.paragraphs}
    assert ("Heading 2", "会议记录") in styles and ("List Bullet", "要点甲") in styles
    assert any(t.cell(1, 0).text == "上海" for t in document.tables)


def test_pdf_export_embeds_a_chinese_font(closed_minutes):
    pdf = minutes_export.to_pdf(closed_minutes)
    assert pdf.startswith(b"%PDF")
    assert b"FontFile2" in pdf and b"+WenQuanYiMicroHei" in pdf  # a subset of the CJK font is embedded


# --- pages -------------------------------------------------------------------------------------------------
def hosted(province):
    """A roundtable meeting the secretariat scheduled (and so keeps), hosted by ``province``."""
    return MeetingFactory(host=province, created_by=make_user(role="secretariat"))


def internal(province):
    """A province's own meeting: the secretariat is not in it and does not keep it."""
    return MeetingFactory(host=province)


def closed(province):
    meeting = hosted(province)
    Minutes.objects.create(meeting=meeting, blocks=NOTES, attendees=[], agenda=[])
    Meeting.objects.filter(pk=meeting.pk).update(status="closed")
    return meeting


def status(meeting):
    return Meeting.objects.get(pk=meeting.pk).status


#: The secretariat keeps the meetings it schedules: it reads them (observer) and arranges who is invited until the
#: minutes are signed; starting and closing stay with the host.
KEEPER = ("secretariat",)
CASES = [
    Case("meeting detail", hosted, lambda m: f"/meetings/{m.pk}/", action="change", also_allowed=KEEPER),
    Case("internal meeting detail", internal, lambda m: f"/meetings/{m.pk}/", action="change"),
    Case("internal meeting stored notes", internal, lambda m: f"/meetings/{m.pk}/notes.yjs", action="change"),
    Case("meeting history", hosted, lambda m: f"/meetings/{m.pk}/history/", action="change", also_allowed=KEEPER),
    Case("meeting authors", hosted, lambda m: f"/meetings/{m.pk}/authors.json", action="change", also_allowed=KEEPER),
    Case("meeting stored notes", hosted, lambda m: f"/meetings/{m.pk}/notes.yjs", action="change", also_allowed=KEEPER),
    Case("meeting participants", hosted, lambda m: f"/meetings/{m.pk}/participants/", action="change",
         also_allowed=KEEPER),
    Case("internal meeting participants", internal, lambda m: f"/meetings/{m.pk}/participants/", action="change"),
    Case("meeting close", hosted, lambda m: f"/meetings/{m.pk}/close/", action="change", method="post",
         written=status),
    Case("minutes docx", closed, lambda m: f"/meetings/{m.pk}/minutes.docx", action="change", also_allowed=KEEPER),
    Case("minutes pdf", closed, lambda m: f"/meetings/{m.pk}/minutes.pdf", action="change", also_allowed=KEEPER),
    Case("action item done", lambda p: ActionItemFactory(owner_province=p),
         lambda i: f"/actions/{i.pk}/done/", action="change", method="post", data=lambda i: {"evidence": "已办结"},
         written=lambda i: ActionItem.objects.get(pk=i.pk).status),
    # The 督办 board is read by every province's staff (following each other up is the point); done stays scoped.
    Case("province action items", lambda p: p, lambda p: f"/actions/province/{p.code.lower()}/",
         action="participate", also_allowed=("secretariat",) + tuple(f"other {r.slug}" for r in ROLES)),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_meeting_pages_hold_the_province_boundary(case, province):
    check_case(case, province)


def test_participant_sees_the_meeting_and_observer_gets_a_read_only_editor(client_for, staff_of):
    meeting = MeetingFactory()
    observer = staff_of("ZJ", "member")
    Participant.objects.create(meeting=meeting, user=observer, role="observer")
    page = client_for(observer).get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'data-role="observer"' in page and f'data-room="{meeting.pk}"' in page and "/ws/notes" in page


def test_observer_is_told_the_notes_are_read_only_in_chinese_and_english(client_for, staff_of):
    meeting = MeetingFactory()
    observer = staff_of("ZJ", "member")
    Participant.objects.create(meeting=meeting, user=observer, role="observer")
    client = client_for(observer)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'data-notice="observer"' in page and "您以列席身份参加本次会议，只能查看会议记录，不能编辑。" in page
    assert "会议已结束，记录已冻结为纪要，不能再编辑。" in page  # hidden until the meeting closes under the editor
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "You attend this meeting as an observer" in page
    assert "The meeting has ended: the notes are frozen as minutes and can no longer be edited." in page
    editor_page = client_for(staff_of("SH", "editor")).get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'data-notice="observer"' not in editor_page


def test_stored_notes_are_the_log_as_one_yjs_update(client_for, staff_of):
    meeting = MeetingFactory()
    editor = staff_of("SH", "editor")
    write_notes(meeting, [{"t": "p", "text": "已保存的记录"}], editor)
    response = client_for(editor).get(f"/meetings/{meeting.pk}/notes.yjs")
    assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    assert response["Cache-Control"] == "no-store"
    doc = pycrdt.Doc()
    doc.apply_update(response.content)
    assert notes.blocks_lines(notes.doc_blocks(doc)) == ["已保存的记录"]


def test_list_and_detail_run_a_constant_number_of_queries(client_for, staff_of, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    editor = staff_of("SH", "editor")
    client = client_for(editor)
    client.get("/meetings/")  # per-process caches (site root paths) fill on the first request
    counts = []
    for size in (1, 6):
        while Meeting.objects.count() < size:
            meeting = MeetingFactory()
            AgendaItem.objects.create(meeting=meeting, position=1, title="议题")
            Participant.objects.create(meeting=meeting, user=make_user(province_code="ZJ", role="member"),
                                       role="observer")
        with CaptureQueriesContext(connection) as listing:
            assert client.get("/meetings/").status_code == 200
        with CaptureQueriesContext(connection) as detail:
            assert client.get(f"/meetings/{Meeting.objects.last().pk}/").status_code == 200
        counts.append((len(listing), len(detail)))
    assert counts[0] == counts[1]


def test_home_section_and_menu(client_for, staff_of):
    MeetingFactory(title="第六次圆桌会议", starts_at=timezone.now() + datetime.timedelta(days=3))
    page = client_for(staff_of("SH", "editor")).get("/").content.decode()
    assert "圆桌会议" in page and "第六次圆桌会议" in page
