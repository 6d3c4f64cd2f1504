"""Who is told what about meetings, minutes and 督办 items. Every recipient list is read from the permission gate
(``users_with``, ``secretariat_users``) and the meeting's own participants — never from group names."""
from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from hub import permissions
from hub.notifications import kinds
from hub.notifications.services import notify

MEETING_CLOSED = kinds.register(
    "meeting.closed", label=_("会议结束，纪要已定稿"),
    audience=_("本次会议的全部参会人、主办省市工作人员、秘书处"))
MINUTES_CONFIRM = kinds.register(
    "minutes.confirm_requested", label=_("请确认会议纪要"),
    audience=_("每个参会省市中可代表本省市答复的人员（能编辑会议记录的参会人、该省市审核发布人员）"))
MINUTES_SIGNED = kinds.register(
    "minutes.signed", label=_("会议纪要已签署"),
    audience=_("本次会议的全部参会人、主办省市工作人员、秘书处"))
ACTION_CREATED = kinds.register(
    "action.created", label=_("新的督办事项"),
    audience=_("责任省市可修改本省资料的工作人员（编辑、审核发布）、指定的责任人、秘书处"))
ACTION_DUE_SOON = kinds.register(
    "action.due_soon", label=_("督办事项 3 天内到期"),
    audience=_("责任省市可修改本省资料的工作人员、指定的责任人"))
ACTION_OVERDUE = kinds.register(
    "action.overdue", label=_("督办事项已逾期"),
    audience=_("责任省市可修改本省资料的工作人员、指定的责任人、秘书处"))

MEETING_INVITED = kinds.register(
    "meeting.invited", label=_("会议邀请"),
    audience=_("被加入参会人名单的人（以用户组加入时为该组成员）"))
MEETING_STARTED = kinds.register(
    "meeting.started", label=_("会议已开始，可共同记录"),
    audience=_("本次会议的全部参会人"), email_default=False)
ACTION_DONE = kinds.register(
    "action.done", label=_("督办事项已办结"),
    audience=_("来源会议主办省市的工作人员、秘书处"))

DUE_SOON_DAYS = 3


def _meeting_people(meeting):
    from hub.meetings import selectors as sel

    people = [user for user, _role in sel.participant_users(meeting)]
    return [people, permissions.users_with("change", meeting.host), permissions.secretariat_users()]


def minutes_answerers(meeting, province) -> list:
    """The people who may answer on the minutes for ``province`` (the same rule as ``minutes_answer``)."""
    from hub.meetings import selectors as sel

    candidates = list(permissions.users_with("participate", province))
    roles = sel.notes_roles(meeting_id=meeting.pk, user_ids=[u.pk for u in candidates])
    return [u for u in candidates if u.pk in roles
            and sel.minutes_answer_allowed(user=u, meeting=meeting, province=province, role=roles[u.pk])[0]]


def _meeting_url(meeting) -> str:
    return reverse("meeting_detail", args=[meeting.pk])


def meeting_invited(participant) -> None:
    """The people a new participant row brings in (a group: its members); each person is invited once."""
    from django.contrib.auth import get_user_model

    meeting = participant.meeting
    people = ([participant.user] if participant.user_id
              else get_user_model().objects.filter(groups=participant.group_id))
    when = timezone.localtime(meeting.starts_at)
    values = {"title": meeting.title, "host": meeting.host.name_zh, "when": f"{when:%Y-%m-%d %H:%M}",
              "place": meeting.place or meeting.online_link or _g("待定"), "role": participant.get_role_display()}
    notify(kind=MEETING_INVITED.key, recipients=people, url=_meeting_url(meeting), key=f"meeting:{meeting.pk}",
           subject=_g("会议邀请：%(title)s（%(when)s）") % values,
           body=_g("%(host)s轮值主办的 %(title)s 将于 %(when)s 在 %(place)s 举行，您的身份：%(role)s。") % values)


def meeting_started(meeting) -> None:
    from hub.meetings import selectors as sel

    notify(kind=MEETING_STARTED.key, recipients=[user for user, _role in sel.participant_users(meeting)],
           url=_meeting_url(meeting), key=f"meeting:{meeting.pk}:started",
           subject=_g("会议已开始：%(title)s") % {"title": meeting.title},
           body=_g("%(title)s 已开始，打开会议页面即可共同记录。") % {"title": meeting.title})


def meeting_closed(meeting, minutes) -> None:
    from hub.meetings import selectors as sel

    url = reverse("meeting_detail", args=[meeting.pk]) + "#minutes"
    notify(kind=MEETING_CLOSED.key, recipients=_meeting_people(meeting), url=url,
           subject=_g("会议已结束：%(title)s") % {"title": meeting.title},
           body=_g("%(title)s 已结束，会议记录已定稿为会议纪要，等待各参会省市确认。") % {"title": meeting.title})
    for province in sel.participating_provinces(meeting):
        notify(kind=MINUTES_CONFIRM.key, recipients=minutes_answerers(meeting, province), url=url,
               key=f"minutes:{minutes.pk}:{province.code}",
               subject=_g("请代表%(province)s确认会议纪要：%(title)s") % {"province": province.name_zh,
                                                                      "title": meeting.title},
               body=_g("请阅读 %(title)s 的会议纪要，代表%(province)s确认，或确认并记录保留意见。")
               % {"title": meeting.title, "province": province.name_zh})


def minutes_signed(meeting, minutes) -> None:
    notify(kind=MINUTES_SIGNED.key, recipients=_meeting_people(meeting),
           url=reverse("meeting_detail", args=[meeting.pk]) + "#minutes",
           subject=_g("会议纪要已签署：%(title)s") % {"title": meeting.title},
           body=_g("各参会省市均已答复，%(title)s 的会议纪要已签署锁定（内容哈希 %(hash)s）。")
           % {"title": meeting.title, "hash": minutes.content_hash[:16]})


def _item_people(item, *, secretariat: bool):
    groups = [permissions.users_with("change", item.owner_province), [item.owner_user]]
    if secretariat:
        groups.append(permissions.secretariat_users())
    return groups


def _item_url(item) -> str:
    return reverse("province_action_items", args=[item.owner_province.code.lower()]) + f"#item-{item.pk}"


def action_created(item) -> None:
    due = f"{item.due:%Y-%m-%d}" if item.due else _g("未定")
    notify(kind=ACTION_CREATED.key, recipients=_item_people(item, secretariat=True), url=_item_url(item),
           key=f"action:{item.pk}:created",
           subject=_g("新的督办事项（%(province)s）：%(text)s") % {"province": item.owner_province.name_zh,
                                                              "text": item.text[:80]},
           body=_g("来源会议：%(meeting)s\n责任省市：%(province)s\n完成期限：%(due)s")
           % {"meeting": item.meeting.title, "province": item.owner_province.name_zh, "due": due})


def action_reminders(*, today: datetime.date | None = None) -> dict[str, int]:
    """Remind owners of open items due within three days, and owners plus the secretariat of overdue ones; each
    notice is sent once per item (and due date), however often this runs."""
    from hub.models import ActionItem

    today = today or timezone.localdate()
    counts = {"due_soon": 0, "overdue": 0}
    items = (ActionItem.objects.filter(status=ActionItem.Status.OPEN, due__isnull=False,
                                       due__lte=today + datetime.timedelta(days=DUE_SOON_DAYS))
             .select_related("owner_province", "owner_user", "meeting"))
    for item in items:
        values = {"text": item.text[:80], "due": f"{item.due:%Y-%m-%d}", "province": item.owner_province.name_zh}
        if item.due < today:
            sent = notify(kind=ACTION_OVERDUE.key, recipients=_item_people(item, secretariat=True),
                          url=_item_url(item), key=f"action:{item.pk}:overdue:{item.due:%Y%m%d}",
                          subject=_g("督办事项已逾期：%(text)s") % values,
                          body=_g("%(province)s负责的督办事项已于 %(due)s 到期，尚未办结。") % values)
            counts["overdue"] += len(sent)
        else:
            sent = notify(kind=ACTION_DUE_SOON.key, recipients=_item_people(item, secretariat=False),
                          url=_item_url(item), key=f"action:{item.pk}:due:{item.due:%Y%m%d}",
                          subject=_g("督办事项即将到期：%(text)s") % values,
                          body=_g("%(province)s负责的督办事项将于 %(due)s 到期，请及时办理并填写办结说明。") % values)
            counts["due_soon"] += len(sent)
    return counts


def action_done(item) -> None:
    """The host province of the meeting that decided the item, and the secretariat, see it settled."""
    values = {"text": item.text[:80], "province": item.owner_province.name_zh, "evidence": item.evidence}
    notify(kind=ACTION_DONE.key, recipients=[permissions.users_with("change", item.meeting.host),
                                             permissions.secretariat_users()],
           url=_item_url(item), key=f"action:{item.pk}:done",
           subject=_g("督办事项已办结（%(province)s）：%(text)s") % values,
           body=_g("办结说明：%(evidence)s") % values)
