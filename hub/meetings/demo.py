"""Demo meetings: a signed past meeting with minutes and action items (one due within three days, one overdue),
and a live meeting the demo accounts can open in two browsers (staff accounts edit, ``*-member`` accounts
observe). Every step sends its notifications, so the demo accounts find working notices in /notifications/."""
import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from hub.meetings import notes
from hub.meetings import services as svc
from hub.meetings.notify import action_reminders
from hub.models import Meeting, Province
from hub.roles import ROLES, group_name

PAST_NOTES = [
    {"t": "h", "level": 1, "text": "第四次圆桌会议记录"},
    {"t": "p", "text": "会议由江苏省质量协会轮值主办，五省市质协负责人出席。"},
    {"t": "h", "level": 2, "text": "一、质量创新成果分享"},
    {"t": "li", "kind": "bullet", "n": 1, "text": "各省市本年度推荐 QC 小组成果 10 项进入共享库", "depth": 0},
    {"t": "li", "kind": "bullet", "n": 2, "text": "成果推广应用情况每季度通报一次", "depth": 0},
    {"t": "h", "level": 2, "text": "二、专家共享与标准互认"},
    {"t": "table", "header": True, "rows": [["省市", "入库专家", "互认标准"], ["上海", "42", "3"], ["江苏", "38", "2"],
                                             ["浙江", "35", "4"], ["安徽", "21", "1"], ["江西", "18", "1"]]},
    {"t": "h", "level": 2, "text": "三、决议与督办"},
    {"t": "task", "checked": False, "text": "建立长三角质量创新成果共享库 @上海 {d1}", "depth": 0},
    {"t": "task", "checked": False, "text": "汇总五省市卓越绩效评价专家名单 @江苏 {d2}", "depth": 0},
    {"t": "task", "checked": False, "text": "起草团体标准互认工作细则 @浙江 {d3}", "depth": 0},
    {"t": "task", "checked": False, "text": "筹办长三角 QC 小组成果发表交流会 @安徽 {d4}", "depth": 0},
    {"t": "task", "checked": False, "text": "编制质量评价认证协同试点方案 @江西 {d5}", "depth": 0},
    {"t": "task", "checked": True, "text": "确定下一次会议由浙江轮值主办", "depth": 0},
]

LIVE_NOTES = [
    {"t": "h", "level": 1, "text": "第五次圆桌会议记录"},
    {"t": "p", "text": "浙江省质量协会轮值主办。请各省市代表直接在下方补充发言要点。"},
    {"t": "h", "level": 2, "text": "一、上次督办事项进展"},
    {"t": "li", "kind": "bullet", "n": 1, "text": "上海：成果共享库已上线试运行", "depth": 0},
    {"t": "h", "level": 2, "text": "二、本次议题"},
    {"t": "p", "text": ""},
    {"t": "h", "level": 2, "text": "三、决议与督办"},
    {"t": "task", "checked": False, "text": "发布互认标准清单（第一批） @浙江 {d1}", "depth": 0},
]


def _write(meeting, blocks, author):
    update = notes.seed_document(blocks)
    notes.append_updates(meeting_id=meeting.pk, items=[
        notes.Pending(update=update, user_id=author.pk, clients=frozenset(notes.update_clients(update)))])


def _fill(blocks, dates):
    return [{**b, "text": b["text"].format(**dates)} if "text" in b else b for b in blocks]


def _participants(meeting, actor):
    for province in Province.objects.filter(is_member=True):
        for role in ROLES:
            group = Group.objects.get(name=group_name(province.code, role))
            svc.participant_add(actor=actor, meeting=meeting, who=group,
                                role="observer" if role.slug == "member" else "editor")


def seed_meetings(ctx):
    if Meeting.objects.filter(title__in=["第四次圆桌会议", "第五次圆桌会议"]).exists():
        ctx.say("meetings: already seeded")
        return
    User = get_user_model()
    secretariat = User.objects.get(username="secretariat")
    svc.rotation_set(actor=secretariat, codes=["SH", "JS", "ZJ", "AH", "JX"])
    province = {p.code: p for p in Province.objects.all()}
    now = timezone.now()
    today = timezone.localdate()
    dates = {f"d{i}": (today + datetime.timedelta(days=20 * i)).isoformat() for i in range(1, 6)}
    # One item due within three days and one overdue, so that the reminders show in the demo inboxes.
    dates["d2"] = (today + datetime.timedelta(days=2)).isoformat()
    dates["d4"] = (today - datetime.timedelta(days=5)).isoformat()

    js_editor = User.objects.get(username="js-editor")
    past = svc.meeting_create(
        actor=secretariat, title="第四次圆桌会议", host=province["JS"], starts_at=now - datetime.timedelta(days=90),
        place="南京市江苏省质量协会会议室",
        agenda=["质量创新成果分享", "专家共享与标准互认", "下一次会议轮值安排"])
    _participants(past, js_editor)
    _write(past, _fill(PAST_NOTES, dates), js_editor)
    svc.meeting_close(actor=js_editor, meeting_id=past.pk)
    for code in ["SH", "JS", "ZJ", "AH", "JX"]:
        svc.minutes_answer(actor=User.objects.get(username=f"{code.lower()}-editor"), meeting_id=past.pk,
                           province=province[code], decision="reservation" if code == "JX" else "confirm",
                           note="建议试点方案先在两省开展" if code == "JX" else "")
    first_item = past.action_items.get(owner_province=province["SH"])
    svc.action_item_done(actor=User.objects.get(username="sh-editor"), item_id=first_item.pk,
                         evidence="共享库已上线试运行，收录成果 52 项。")

    reminders = action_reminders(today=today)
    ctx.say(f"notifications: closing, minutes to confirm, signing, new 督办 items, {reminders['due_soon']} due-soon "
            f"and {reminders['overdue']} overdue reminders — see /notifications/ as e.g. js-editor or secretariat")

    zj_editor = User.objects.get(username="zj-editor")
    live = svc.meeting_create(
        actor=secretariat, title="第五次圆桌会议", host=province["ZJ"], starts_at=now - datetime.timedelta(minutes=30),
        place="杭州市浙江省质量协会", online_link="https://meeting.roundtable.invalid/5",
        agenda=["上次督办事项进展", "2027 年联合活动计划", "团体标准互认第一批清单"])
    _participants(live, zj_editor)
    svc.meeting_start(actor=zj_editor, meeting_id=live.pk)
    _write(live, _fill(LIVE_NOTES, dates), zj_editor)
    ctx.say(f"meetings: 第四次圆桌会议 (signed, minutes, action items), 第五次圆桌会议 live at /meetings/{live.pk}/ "
            "— open it as zj-editor and sh-editor in two browsers")
