"""Reads for meetings, live notes, minutes and action items. ``notes_role`` is the one rule for who may take part."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from hub import permissions
from hub.models import ActionItem, AgendaItem, Meeting, Participant, Province

EDITOR, OBSERVER = "editor", "observer"


def notes_role(*, user, meeting_id) -> str | None:
    """"editor", "observer" or None: the host province's staff (``change`` on the host) and editor participants
    write; observer participants read; everyone else does not see the meeting at all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    try:
        host_id = Meeting.objects.values_list("host_id", flat=True).get(pk=meeting_id)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        return None
    if user.is_superuser or permissions.can(user, "change", host_id):
        return EDITOR
    roles = set(Participant.objects.filter(meeting_id=meeting_id).filter(
        Q(user=user) | Q(group__in=user.groups.all())).values_list("role", flat=True))
    if EDITOR in roles:
        return EDITOR
    if OBSERVER in roles:
        return OBSERVER
    return None


def notes_roles(*, meeting_id, user_ids) -> dict[int, str]:
    """``notes_role`` for many users at once, in a constant number of queries (the live-notes revocation sweep
    runs it every two seconds per open meeting); users without a role are missing from the result."""
    from guardian.shortcuts import get_users_with_perms

    ids = set(user_ids)
    meeting = Meeting.objects.select_related("host").filter(pk=meeting_id).first()
    if meeting is None or not ids:
        return {}
    users = dict(get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", "is_superuser"))
    staff = set(get_users_with_perms(meeting.host, only_with_perms_in=["change_province_data"],
                                     with_group_users=True, with_superusers=False)
                .filter(pk__in=users.keys(), is_active=True).values_list("pk", flat=True))
    roles = {pk: EDITOR for pk, is_superuser in users.items() if is_superuser or pk in staff}
    rows = Participant.objects.filter(meeting_id=meeting_id).filter(
        Q(user_id__in=users.keys()) | Q(group__user__in=users.keys())).values_list("user_id", "group__user", "role")
    for direct, via_group, role in rows:
        for pk in (direct, via_group):
            if pk in users and roles.get(pk) != EDITOR:
                roles[pk] = role
    return roles


def can_administer(user, meeting: Meeting) -> bool:
    """The host province's staff administer a meeting (agenda, participants, status)."""
    return user.is_authenticated and (user.is_superuser or permissions.can(user, "change", meeting.host_id))


def visible_meetings(user) -> QuerySet[Meeting]:
    """Meetings the user takes part in or administers, newest first."""
    if not user.is_authenticated or not user.is_active:
        return Meeting.objects.none()
    if user.is_superuser:
        return Meeting.objects.select_related("host")
    administered = Meeting.objects.restrict(user, "change").values("pk")
    participating = Meeting.objects.for_participant(user).values("pk")
    return Meeting.objects.filter(Q(pk__in=administered) | Q(pk__in=participating)).select_related("host")


def meeting_for(*, user, meeting_id) -> tuple[Meeting, str]:
    """The meeting and the user's role, or Meeting.DoesNotExist (shown as 404) when the user has no role."""
    role = notes_role(user=user, meeting_id=meeting_id)
    if role is None:
        raise Meeting.DoesNotExist
    meeting = Meeting.objects.select_related("host").prefetch_related(
        Prefetch("agenda_items", queryset=AgendaItem.objects.select_related("action_item__owner_province")),
        Prefetch("participants", queryset=Participant.objects.select_related("user", "group")),
    ).get(pk=meeting_id)
    return meeting, role


def participant_users(meeting: Meeting):
    """Every account taking part, with its role (direct rows win over group rows)."""
    User = get_user_model()
    rows = list(meeting.participants.all())
    direct = {p.user_id: p.role for p in rows if p.user_id}
    group_roles = {p.group_id: p.role for p in rows if p.group_id}
    members = User.objects.filter(groups__in=group_roles.keys()).prefetch_related("groups").distinct()
    result = {}
    for user in members:
        roles = {group_roles[g.pk] for g in user.groups.all() if g.pk in group_roles}
        result[user.pk] = (user, EDITOR if EDITOR in roles else OBSERVER)
    for user in User.objects.filter(pk__in=direct.keys()):
        result[user.pk] = (user, direct[user.pk])
    return sorted(result.values(), key=lambda pair: (pair[1], pair[0].username))


def user_province(user) -> Province | None:
    """The province a person belongs to (first province group), for presence colours and signing."""
    ids = permissions.province_ids_for(user, "participate")
    if not ids:
        return None
    return Province.objects.filter(pk__in=ids).ordered().first()


def province_for_groups(groups: list[Group]) -> dict[int, Province]:
    """Group id → province, read from the ``<CODE> <suffix>`` group names provisioning creates."""
    by_code = {p.code: p for p in Province.objects.all()}
    return {g.pk: by_code[g.name.split(" ", 1)[0]] for g in groups if g.name.split(" ", 1)[0] in by_code}


def participating_provinces(meeting: Meeting) -> list[Province]:
    """Provinces with at least one participant (or the host); each must answer on the minutes."""
    codes = {meeting.host.code}
    for user, _role in participant_users(meeting):
        for group in user.groups.all():
            codes.add(group.name.split(" ", 1)[0])
    return list(Province.objects.filter(code__in=codes).ordered())


def open_action_items(user, province: Province | None = None) -> QuerySet[ActionItem]:
    """Open action items the user may see (their provinces'), soonest due first."""
    items = ActionItem.objects.restrict(user, "participate").filter(status=ActionItem.Status.OPEN)
    if province is not None:
        items = items.filter(owner_province=province)
    return items.select_related("owner_province", "owner_user", "meeting").order_by("due", "pk")


def next_meeting(user) -> Meeting | None:
    return visible_meetings(user).filter(
        status__in=[Meeting.Status.SCHEDULED, Meeting.Status.LIVE],
        starts_at__gte=timezone.now() - timezone.timedelta(hours=12)).order_by("starts_at").first()


# --- the live-notes access sweep ---------------------------------------------------------------------------
@dataclass
class Verdict:
    writable: bool
    roles: dict


def notes_access_sweep(*, meeting_id: int, sessions: list[tuple[int, str | None]]) -> Verdict:
    """For each (user id, session key) of open connections: the role they still hold, or none when the session
    ended (logout), the account was deactivated, or they no longer take part. The rooms' periodic re-check (a
    read, through ``notes_roles`` and the gate)."""
    from importlib import import_module

    status = Meeting.objects.filter(pk=meeting_id).values_list("status", flat=True).first()
    if status is None:
        return Verdict(False, {})
    roles = notes_roles(meeting_id=meeting_id, user_ids=[u for u, _s in sessions])
    keys = [s for _u, s in sessions if s]
    live_sessions = {}
    if keys:
        engine = import_module(settings.SESSION_ENGINE)
        if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
            from django.contrib.sessions.models import Session

            store = engine.SessionStore()
            for session in Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()):
                live_sessions[session.session_key] = str(store.decode(session.session_data).get("_auth_user_id"))
        else:
            for key in keys:
                data = engine.SessionStore(key).load()
                if data:
                    live_sessions[key] = str(data.get("_auth_user_id"))
    result = {}
    for user_id, key in sessions:
        if key is not None and live_sessions.get(key) != str(user_id):
            continue
        if user_id in roles:
            result[(user_id, key)] = roles[user_id]
    return Verdict(status in (Meeting.Status.SCHEDULED, Meeting.Status.LIVE), result)
