"""Rules of roundtable meetings: rotation, scheduling, participants, going live, closing into minutes, signing,
addenda, checkpoints and restore of the notes, and action items (督办)."""
from __future__ import annotations

import datetime
import hashlib
import json
import re

from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hub import permissions
from hub.meetings import notes, notify, richtext
from hub.meetings import selectors as sel
from hub.models import (
    ActionItem,
    Addendum,
    AgendaItem,
    Meeting,
    Minutes,
    MinutesAnswer,
    NoteSnapshot,
    NoteUpdate,
    Participant,
    Province,
    RotationSlot,
)

NOT_WRITABLE = _("会议已结束，记录为只读。")
NOT_LIVE = _("只有进行中或已排期的会议可以结束。")
NOT_CLOSED = _("只有已结束、尚未签署的会议纪要可以确认。")
ALREADY_ANSWERED = _("本省已对该纪要作出答复。")
NOT_SIGNED = _("纪要签署后才能追加补充。")
EVIDENCE_REQUIRED = _("请填写办结说明（佐证材料）。")
RESERVATION_NEEDS_NOTE = _("保留意见需要写明理由。")


def _notify_rooms(meeting_id: int, message: dict) -> None:
    """Tell every process's room at once; rooms re-check on their own every few seconds anyway."""
    from channels.layers import get_channel_layer

    from hub.meetings.room import NOTES_LAYER, group_name

    layer = get_channel_layer(NOTES_LAYER)
    if layer is None:
        return

    def send():
        try:
            async_to_sync(layer.group_send)(group_name(meeting_id), {**message, "origin": "service"})
        except Exception:  # the fast path only; the rooms' periodic sweep is what guarantees it
            pass

    transaction.on_commit(send)


# --- rotation and scheduling -------------------------------------------------------------------------------
@transaction.atomic
def rotation_set(*, actor, codes: list[str]) -> list[RotationSlot]:
    """The secretariat sets the hosting order; every member province appears exactly once."""
    if not permissions.is_secretariat(actor):
        raise PermissionDenied
    provinces = {p.code: p for p in Province.objects.filter(is_member=True)}
    if sorted(codes) != sorted(provinces):
        raise ValidationError(_("轮值顺序必须恰好包含每个成员省市一次。"))
    RotationSlot.objects.all().delete()
    return [RotationSlot.objects.create(province=provinces[code], position=i + 1) for i, code in enumerate(codes)]


def next_host() -> Province | None:
    """The province after the latest meeting's host in the rotation (the first one if none met yet)."""
    slots = list(RotationSlot.objects.select_related("province"))
    if not slots:
        return Province.objects.filter(is_member=True).ordered().first()
    last = Meeting.objects.order_by("-starts_at", "-pk").values_list("host_id", flat=True).first()
    ids = [s.province_id for s in slots]
    if last not in ids:
        return slots[0].province
    return slots[(ids.index(last) + 1) % len(slots)].province


@transaction.atomic
def meeting_create(*, actor, title: str, host: Province, starts_at: datetime.datetime, place: str = "",
                   online_link: str = "", agenda: list[str] = (), participants: list[tuple] = (),
                   carry_items: bool = True) -> Meeting:
    """Schedule a meeting. The secretariat or the host province's staff may; open action items join the agenda
    (``carry_items=False`` for a meeting with a single purpose, such as an evaluation's consensus session)."""
    if not (permissions.is_secretariat(actor) or permissions.can(actor, "change", host)):
        raise PermissionDenied
    meeting = Meeting(title=title, host=host, starts_at=starts_at, place=place, online_link=online_link,
                      created_by=actor)
    meeting.full_clean()
    meeting.save()
    for i, text in enumerate(agenda):
        AgendaItem.objects.create(meeting=meeting, position=i + 1, title=text)
    for who, role in participants:
        participant_add(actor=actor, meeting=meeting, who=who, role=role)
    if carry_items:
        carry_open_items(meeting=meeting)
    return meeting


def carry_open_items(*, meeting: Meeting) -> int:
    """Put every open action item not yet on this meeting's agenda at its end (督办 follow-up)."""
    on_agenda = set(meeting.agenda_items.exclude(action_item=None).values_list("action_item_id", flat=True))
    position = meeting.agenda_items.aggregate(m=Max("position"))["m"] or 0
    added = 0
    for item in ActionItem.objects.filter(status=ActionItem.Status.OPEN).exclude(meeting=meeting).select_related(
            "owner_province").order_by("due", "pk"):
        if item.pk in on_agenda:
            continue
        position += 1
        due = f"，{item.due:%Y-%m-%d} 前" if item.due else ""
        AgendaItem.objects.create(meeting=meeting, position=position, action_item=item,
                                  title=f"督办：{item.text}（{item.owner_province.name_zh}{due}）")
        added += 1
    return added


def _require_admin(actor, meeting: Meeting) -> None:
    if not sel.can_administer(actor, meeting):
        raise PermissionDenied


@transaction.atomic
def participant_add(*, actor, meeting: Meeting, who, role: str) -> Participant:
    if not sel.can_manage_participants(actor, meeting):
        raise PermissionDenied
    participant = Participant(meeting=meeting, role=role,
                              user=who if not isinstance(who, Group) else None,
                              group=who if isinstance(who, Group) else None)
    participant.full_clean()
    participant.save()
    if meeting.status in (Meeting.Status.SCHEDULED, Meeting.Status.LIVE):
        notify.meeting_invited(participant)
    return participant


@transaction.atomic
def participant_remove(*, actor, participant_id: int) -> None:
    """Remove a participant; their open live-notes connections are closed within seconds on every process."""
    participant = Participant.objects.select_related("meeting").get(pk=participant_id)
    if not sel.can_manage_participants(actor, participant.meeting):
        raise PermissionDenied
    meeting_id = participant.meeting_id
    participant.delete()
    _notify_rooms(meeting_id, {"type": "notes.recheck"})


@transaction.atomic
def meeting_start(*, actor, meeting_id: int) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    _require_admin(actor, meeting)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError(_("只有已排期的会议可以开始。"))
    meeting.status = Meeting.Status.LIVE
    meeting.full_clean()
    meeting.save(update_fields=["status"])
    notify.meeting_started(meeting)
    return meeting


# --- closing, minutes, signing -----------------------------------------------------------------------------
OWNER_RE = re.compile(r"[@＠]\s*([^\s，,；;：:@＠]+)")
DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def parse_action(text: str) -> tuple[Province | None, object, datetime.date | None, str]:
    """A checklist line such as "完善成果库 @浙江 2026-12-31" → (province, person, due date, clean text).
    The owner is a province (name, short name or code) or a person (username); the person's province owns it."""
    owner_province, owner_user, due = None, None, None
    match = OWNER_RE.search(text)
    if match:
        token = match.group(1)
        province = Province.objects.filter(Q(code__iexact=token) | Q(name_zh=token) | Q(name_zh=token + "省")
                                           | Q(name_zh=token + "市")).first()
        if province is not None:
            owner_province = province
        else:
            owner_user = get_user_model().objects.filter(username=token, is_active=True).first()
            if owner_user is not None:
                owner_province = sel.user_province(owner_user)
    date = DATE_RE.search(text)
    if date:
        try:
            due = datetime.date(int(date.group(1)), int(date.group(2)), int(date.group(3)))
        except ValueError:
            due = None
    clean = DATE_RE.sub("", OWNER_RE.sub("", text)).strip(" ，,；;")
    return owner_province, owner_user, due, clean or text


def _attendees(meeting: Meeting) -> list[dict]:
    result = []
    for user, role in sel.participant_users(meeting):
        province = sel.user_province(user)
        result.append({"name": user.get_full_name() or user.username, "username": user.username,
                       "province": province.name_zh if province else "", "role": role})
    return result


@transaction.atomic
def meeting_close(*, actor, meeting_id: int) -> Minutes:
    """The host closes the meeting: the notes freeze into minutes and checklist items with an owner and a due
    date become tracked action items. The notes are read-only from now on, on every process."""
    meeting = Meeting.objects.select_for_update().select_related("host").get(pk=meeting_id)
    _require_admin(actor, meeting)
    if not meeting.notes_writable:
        raise ValidationError(NOT_LIVE)
    doc, upto = notes.build_doc(meeting.pk)
    blocks = richtext.attach_runs(notes.doc_blocks(doc), doc)  # bold, italic… kept for the page and exports
    meeting.status = Meeting.Status.CLOSED
    meeting.closed_at = timezone.now()
    meeting.save(update_fields=["status", "closed_at"])
    minutes = Minutes(meeting=meeting, blocks=blocks, upto_seq=upto, attendees=_attendees(meeting),
                      agenda=[a.title for a in meeting.agenda_items.order_by("position")])
    minutes.full_clean()
    minutes.save()
    NoteSnapshot.objects.create(meeting=meeting, upto_seq=upto, state=doc.snapshot(), label="会议纪要定稿",
                                created_by=actor)
    for block in blocks:
        if block["t"] != "task" or block["checked"]:
            continue
        province, person, due, text = parse_action(block["text"])
        if province is None or due is None:
            continue
        item = ActionItem(meeting=meeting, text=text[:500], owner_province=province, owner_user=person, due=due)
        item.full_clean()
        item.save()
        notify.action_created(item)
    following = Meeting.objects.filter(status=Meeting.Status.SCHEDULED, starts_at__gt=meeting.starts_at).exclude(
        pk=meeting.pk).order_by("starts_at").first()
    if following is not None:
        carry_open_items(meeting=following)
    _notify_rooms(meeting.pk, {"type": "notes.recheck"})
    notify.meeting_closed(meeting, minutes)
    return minutes


def minutes_hash(minutes: Minutes) -> str:
    payload = {"meeting": minutes.meeting_id, "title": minutes.meeting.title, "blocks": minutes.blocks,
               "attendees": minutes.attendees, "agenda": minutes.agenda,
               "answers": [[a.province.code, a.decision, a.note] for a in minutes.answers.order_by("province__code")]}
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def minutes_answer(*, actor, meeting_id: int, province: Province, decision: str, note: str = "") -> MinutesAnswer:
    """A participating province's representative (``sel.minutes_answer_allowed``: the province's people who may
    edit the notes, or its moderators — never an observer) confirms or records a reservation; when every participating province has answered, the minutes are signed."""
    meeting = Meeting.objects.select_for_update().select_related("host").get(pk=meeting_id)
    allowed, reason = sel.minutes_answer_allowed(user=actor, meeting=meeting, province=province)
    if not allowed:
        raise PermissionDenied(reason)
    if meeting.status != Meeting.Status.CLOSED:
        raise ValidationError(NOT_CLOSED)
    provinces = sel.participating_provinces(meeting)
    if province not in provinces:
        raise PermissionDenied
    minutes = meeting.minutes
    if minutes.answers.filter(province=province).exists():
        raise ValidationError(ALREADY_ANSWERED)
    if decision == MinutesAnswer.Decision.RESERVATION and not note.strip():
        raise ValidationError({"note": RESERVATION_NEEDS_NOTE})
    answer = MinutesAnswer(minutes=minutes, province=province, decision=decision, note=note, answered_by=actor)
    answer.full_clean()
    answer.save()
    if set(minutes.answers.values_list("province_id", flat=True)) >= {p.pk for p in provinces}:
        minutes.signed_at = timezone.now()
        minutes.content_hash = minutes_hash(minutes)
        minutes.save(update_fields=["signed_at", "content_hash"])
        meeting.status = Meeting.Status.SIGNED
        meeting.save(update_fields=["status"])
        notify.minutes_signed(meeting, minutes)
    return answer


@transaction.atomic
def addendum_add(*, actor, meeting_id: int, text: str) -> Addendum:
    """Signed minutes never change; later corrections are addenda by the meeting's editors."""
    meeting = Meeting.objects.select_related("minutes").get(pk=meeting_id)
    if sel.notes_role(user=actor, meeting_id=meeting.pk) != sel.EDITOR:
        raise PermissionDenied
    if meeting.status != Meeting.Status.SIGNED:
        raise ValidationError(NOT_SIGNED)
    addendum = Addendum(minutes=meeting.minutes, text=text, author=actor)
    addendum.full_clean()
    addendum.save()
    return addendum


@transaction.atomic
def action_item_done(*, actor, item_id: int, evidence: str) -> ActionItem:
    """The owner (the owning province's staff, or the named person) marks an item done, with evidence."""
    item = ActionItem.objects.select_for_update().get(pk=item_id)
    if not (permissions.can(actor, "change", item.owner_province_id) or item.owner_user_id == actor.pk):
        raise PermissionDenied
    if not evidence.strip():
        raise ValidationError({"evidence": EVIDENCE_REQUIRED})
    if item.status == ActionItem.Status.DONE:
        raise ValidationError(_("该事项已办结。"))
    item.status = ActionItem.Status.DONE
    item.evidence = evidence.strip()
    item.done_by = actor
    item.done_at = timezone.now()
    item.full_clean()
    item.save()
    notify.action_done(item)
    return item


# --- history -----------------------------------------------------------------------------------------------
@transaction.atomic
def checkpoint_create(*, actor, meeting_id: int, label: str) -> NoteSnapshot:
    """A named version of the notes (e.g. "提交签署稿"), kept forever."""
    if sel.notes_role(user=actor, meeting_id=meeting_id) != sel.EDITOR:
        raise PermissionDenied
    label = label.strip()
    if not label:
        raise ValidationError({"label": _("请填写检查点名称。")})
    Meeting.objects.select_for_update().get(pk=meeting_id)
    doc, upto = notes.build_doc(meeting_id)
    snapshot = NoteSnapshot(meeting_id=meeting_id, upto_seq=upto, state=doc.snapshot(), label=label[:100],
                            created_by=actor)
    snapshot.full_clean()
    snapshot.save()
    return snapshot


def stored_notes(meeting_id: int) -> bytes:
    """The notes as the log holds them, as one Yjs update (what an editor checks its own copy against)."""
    doc, _last = notes.build_doc(meeting_id)
    return doc.snapshot()


def version_lines(meeting_id: int, upto_seq: int) -> list[richtext.Line]:
    doc, _ = notes.build_doc(meeting_id, upto_seq)
    return richtext.doc_lines(doc)


def notes_diff(*, meeting_id: int, old_seq: int, new_seq: int) -> list[tuple[str, str]]:
    """A rich diff of two versions, block by block, formatting kept: ("=", html) unchanged, ("-", html) removed,
    ("+", html) added, ("~", html) changed with <del>/<ins> inline."""
    return richtext.rich_diff(version_lines(meeting_id, old_seq), version_lines(meeting_id, new_seq))


RESTORE_NOT_CONFIRMED = _("恢复历史版本会覆盖当前记录，请先查看差异并确认。")


def notes_restore(*, actor, meeting_id: int, upto_seq: int, confirmed: bool = False) -> int:
    """Bring back an earlier version as a new edit on top, once the editor has seen what changes and confirmed;
    every version stays in the history."""
    if sel.notes_role(user=actor, meeting_id=meeting_id) != sel.EDITOR:
        raise PermissionDenied
    if not confirmed:
        raise ValidationError(RESTORE_NOT_CONFIRMED)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        if not meeting.notes_writable:
            raise ValidationError(NOT_WRITABLE)
        old, _seq = notes.build_doc(meeting_id, upto_seq)
        current, _last = notes.build_doc(meeting_id)
        update = notes.restore_content(current, old)
    seqs = notes.append_updates(meeting_id=meeting_id, items=[notes.Pending(update, actor.pk, frozenset())])
    if not seqs:
        raise ValidationError(NOT_WRITABLE)
    _notify_rooms(meeting_id, {"type": "notes.update", "seq": seqs[0], "data": update, "user": actor.pk,
                               "clients": []})
    return seqs[0]


#: Automatic versions: the state at the end of every window of this many minutes in which someone wrote.
AUTO_VERSION_MINUTES = 5


def auto_versions(meeting_id: int) -> list[dict]:
    """Automatic versions over time, read from the append-only log itself: the last update of each
    ``AUTO_VERSION_MINUTES``-minute window that saw activity is a version. Nothing is stored and nothing has to
    run on a timer (the log already keeps every state; a version is only a sequence number), so past meetings
    and every process's writes are covered alike, and restore/diff take the same sequence numbers."""
    window = AUTO_VERSION_MINUTES * 60
    versions, bucket = [], None
    rows = NoteUpdate.objects.filter(meeting_id=meeting_id).order_by("seq").values_list("seq", "created")
    for seq, created in rows.iterator(chunk_size=5000):
        b = int(created.timestamp()) // window
        if b != bucket:
            bucket = b
            versions.append({"seq": seq, "created": created})
        else:
            versions[-1] = {"seq": seq, "created": created}
    return [{**v, "label": "", "auto": True, "by": ""} for v in versions]


def history_versions(meeting_id: int) -> list[dict]:
    """Named checkpoints, automatic versions (``auto_versions``) and the current state, oldest first; one entry
    per sequence number (a checkpoint's name wins)."""
    by_seq = {v["seq"]: v for v in auto_versions(meeting_id)}
    for s in NoteSnapshot.objects.filter(meeting_id=meeting_id).exclude(label="").select_related("created_by"):
        by_seq[s.upto_seq] = {"seq": s.upto_seq, "label": s.label, "created": s.created, "auto": False,
                              "by": (s.created_by.get_full_name() or s.created_by.username) if s.created_by else ""}
    versions = [by_seq[k] for k in sorted(by_seq)]
    if versions:
        versions[-1] = {**versions[-1], "current": True}
    return versions
