"""Reads for meetings, live notes, minutes and action items. ``notes_role`` is the one rule for who may take part."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Case, CharField, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hub import permissions
from hub.accounts.sessions import load_many
from hub.db import prepared
from hub.models import ActionItem, AgendaItem, Meeting, Participant, Province

EDITOR, OBSERVER = "editor", "observer"

#: Per-person colours (the same palette and rule as frontend/notes/colours.js): two people of one province no
#: longer look alike; the province is shown beside the person as a marker in the province's colour.
PERSON_PALETTE = ("#d1242f", "#0969da", "#1a7f37", "#8250df", "#bf3989", "#9a6700", "#1b7c83", "#e16f24",
                  "#7d4e2d", "#1f2f6b")


def person_colour(user_id: int) -> str:
    return PERSON_PALETTE[abs(int(user_id) * 7) % len(PERSON_PALETTE)]


def kept_by_secretariat(meeting_id) -> bool:
    """A meeting the secretariat keeps: one a secretariat member scheduled (the roundtable's own meetings). A
    province's internal meeting is not the secretariat's to read unless it is invited as a participant."""
    return Meeting.objects.filter(pk=meeting_id, created_by__in=permissions.secretariat_users()).exists()


def _with_notes_role(users: QuerySet, meeting_id: int) -> QuerySet:
    """``users`` (active ones only) annotated with ``notes_role_``: their role in the meeting, decided in the same
    statement (the rule of ``notes_role``, written once as SQL): a handshake or a sweep of many connections costs
    one query, not one per gate call."""
    meeting = Meeting.objects.filter(pk=meeting_id)
    host = Subquery(meeting.values("host_id")[:1])
    rows = Participant.objects.filter(meeting_id=meeting_id).filter(
        Q(user=OuterRef("pk")) | Q(group__user=OuterRef("pk")))
    secretariat = permissions.secretariat_condition(OuterRef("pk"))
    kept = Exists(meeting.filter(created_by__in=permissions.secretariat_users()))
    role = Case(
        When(~Exists(meeting), then=Value(None)),
        # The host province's staff (``change`` on the host; superusers) and editor participants write.
        When(permissions.unrestricted_condition() | permissions.may_condition("change", OuterRef("pk"), host)
             | Q(Exists(rows.filter(role=EDITOR))), then=Value(EDITOR)),
        # Observer participants read, and the secretariat the meetings it keeps.
        When(Q(Exists(rows.filter(role=OBSERVER))) | (secretariat & Q(kept)), then=Value(OBSERVER)),
        default=Value(None), output_field=CharField())
    return users.filter(is_active=True).annotate(notes_role_=role)


def notes_role(*, user, meeting_id) -> str | None:
    """"editor", "observer" or None: the host province's staff (``change`` on the host) and editor participants
    write; observer participants and the secretariat (for the meetings it keeps) read; everyone else does not see
    the meeting at all. One query, the handshake's (``notes_identity``; the rule itself is ``_with_notes_role``)."""
    row = _identity_row(user=user, meeting_id=meeting_id)
    return row[0] if row is not None else None


#: Stand-ins for the meeting and the user while the handshake's statement is compiled (never real primary keys).
_MEETING_MARK, _USER_MARK = -7_301_931, -7_301_937
#: Sizes of the handshake's compiled statements: the users of a burst of handshakes are looked up in the smallest
#: that holds them (the rest of its places repeat one of them), in chunks of the largest. Few sizes: each is planned
#: once per database session, and planning it costs more than running it.
IDENTITY_SIZES = (1, 4, 16, 64)
_identity_sql: dict[tuple[str, int], tuple[str, list]] = {}
_SEPARATOR = "\x1f"  # between the province's name and colour in the statement's one province column


def _identity_statement(size: int) -> tuple[str, list]:
    """The handshake's statement (``notes_identity``) for ``size`` users, compiled by the ORM once per database
    vendor and size: building it (nested Exists, Case, Cast) cost ~10 ms of Python per handshake, more than running
    it. The SQL and its parameters are kept with the meeting's and the users' places marked; each use only rebinds
    them. All are integers, so the statement's shape never depends on their values."""
    from django.db import connection

    key = (connection.vendor, size)
    compiled = _identity_sql.get(key)
    if compiled is None:
        own = Province.objects.filter(permissions.province_ids_condition("participate", OuterRef(OuterRef("pk"))))
        own = own.ordered()
        marks = [_USER_MARK - i for i in range(size)]
        query = _with_notes_role(get_user_model().objects.filter(pk__in=marks), _MEETING_MARK).annotate(
            # Name and colour from one subquery (it is most of the statement's cost: two of them doubled it).
            province_=Subquery(own.annotate(label_=Concat("name_zh", Value(_SEPARATOR), "colour",
                                                          output_field=CharField())).values("label_")[:1]),
        ).values_list(*_user_fields(), "notes_role_", "province_").order_by()
        sql, params = query.query.sql_with_params()
        compiled = _identity_sql[key] = (sql, list(params))
    return compiled


def _tail(row: tuple) -> tuple | None:
    """(role, province name, province colour) from the end of the statement's row; None without a role."""
    role, label = row[len(_user_fields()):]
    if role is None:
        return None
    name, _sep, colour = (label or "").partition(_SEPARATOR)
    return role, name, colour


def _user_fields() -> list[str]:
    """The user's own columns, selected by the handshake's statement too: a handshake that has only the session's
    user id gets the user (as the authentication backend would load it) and the identity in one query."""
    return [f.attname for f in get_user_model()._meta.concrete_fields]


def _statement_rows(*, user_ids, meeting_id) -> dict[int, tuple]:
    """{user id: the compiled statement's row} — the user's fields, then role, province name and colour — for those
    of ``user_ids`` that are active users; empty when the meeting id is not one."""
    from django.db import connection

    try:
        meeting_id, ids = int(meeting_id), sorted({int(pk) for pk in user_ids})
    except (ValueError, TypeError):
        return {}
    pk_at = _user_fields().index(get_user_model()._meta.pk.attname)
    rows, largest = {}, IDENTITY_SIZES[-1]
    for start in range(0, len(ids), largest):
        chunk = ids[start:start + largest]
        size = next(n for n in IDENTITY_SIZES if n >= len(chunk))
        sql, params = _identity_statement(size)
        values = {_MEETING_MARK: meeting_id}
        values.update({_USER_MARK - i: chunk[min(i, len(chunk) - 1)] for i in range(size)})
        bound = [values.get(p, p) if type(p) is int else p for p in params]
        # Prepared: PostgreSQL planning this statement (a dozen nested EXISTS) cost 15-20 ms of server CPU under
        # load against 2-6 ms to run it, i.e. most of a handshake; prepared, it is planned once per database session.
        for row in prepared.fetch_all(connection, sql, bound):
            rows[row[pk_at]] = row
    return rows


def _statement_row(*, user_id, meeting_id) -> tuple | None:
    """``_statement_rows`` of one user: None unless an active user has that id (and the meeting id is one)."""
    try:
        user_id = int(user_id)
    except (ValueError, TypeError):
        return None
    return _statement_rows(user_ids=[user_id], meeting_id=meeting_id).get(user_id)


def _identity_row(*, user, meeting_id) -> tuple | None:
    """(role, province name, province colour) from the compiled statement, or None without a role."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    row = _statement_row(user_id=user.pk, meeting_id=meeting_id)
    if row is None:
        return None
    return _tail(row)


def notes_identity(*, user, meeting_id) -> dict | None:
    """What a live-notes handshake needs, in one query: the user's role (``notes_role``: the same statement) and
    the province shown beside their name (``user_province``); None when they have no role."""
    return _identity(user, _identity_row(user=user, meeting_id=meeting_id))


def notes_users_and_identities(*, user_ids, meeting_id) -> dict:
    """Handshakes that have only their sessions' user ids: {user id: (the user as Django's ``ModelBackend.get_user``
    would load it, ``notes_identity`` of that user)} for every id an active user has, in one query (per 64 users).
    The caller verifies each session against its user (``accounts.middleware.websocket_user``) and must drop the
    identity when it refuses the user."""
    from django.db import connection

    fields = _user_fields()
    found = {}
    for pk, row in _statement_rows(user_ids=user_ids, meeting_id=meeting_id).items():
        user = get_user_model().from_db(connection.alias, fields, row[:len(fields)])
        found[pk] = (user, _identity(user, _tail(row)))
    return found


def notes_user_and_identity(*, user_id, meeting_id) -> tuple[object | None, dict | None]:
    """``notes_users_and_identities`` of one user: (None, None) unless an active user has that id."""
    from django.contrib.auth.backends import ModelBackend

    try:
        int(meeting_id)
    except (ValueError, TypeError):
        return ModelBackend().get_user(user_id), None
    try:
        user_id = int(user_id)
    except (ValueError, TypeError):
        return None, None
    return notes_users_and_identities(user_ids=[user_id], meeting_id=meeting_id).get(user_id, (None, None))


def _identity(user, row: tuple | None) -> dict | None:
    if row is None:
        return None
    role, name, colour = row
    if permissions.is_unrestricted(user):  # every province is theirs: the first one, as ``user_province`` says
        province = user_province(user)
        name, colour = (province.name_zh, province.colour) if province else (None, None)
    return {"role": role, "province": name or "", "colour": colour or "#6e7781",
            "name": user.get_full_name() or user.username}


def notes_roles(*, meeting_id, user_ids, meeting: Meeting | None = None) -> dict[int, str]:
    """``notes_role`` for many users at once, in a constant number of queries (the live-notes revocation sweep
    runs it every two seconds per open meeting); users without a role are missing from the result."""
    ids = set(user_ids)
    meeting = meeting if meeting is not None else Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None or not ids:
        return {}
    users = set(get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    staff = permissions.users_with("change", meeting.host_id, include_superusers=True).filter(pk__in=users)
    roles = dict.fromkeys(staff.values_list("pk", flat=True), EDITOR)
    rows = Participant.objects.filter(meeting_id=meeting_id).filter(
        Q(user_id__in=users) | Q(group__user__in=users)).values_list("user_id", "group__user", "role")
    for direct, via_group, role in rows:
        for pk in (direct, via_group):
            if pk in users and roles.get(pk) != EDITOR:
                roles[pk] = role
    unplaced = users - roles.keys()  # only they can still be the secretariat's observers: two queries skipped
    if unplaced and kept_by_secretariat(meeting_id):
        for pk in permissions.secretariat_users().filter(pk__in=unplaced).values_list("pk", flat=True):
            roles.setdefault(pk, OBSERVER)
    return roles


def can_administer(user, meeting: Meeting) -> bool:
    """The host province's staff administer a meeting (agenda, participants, status) until its minutes are signed.

    Host rights end with the signature, not when the rotation moves on: the next host may be chosen before this
    meeting's minutes are answered, and someone must still be able to run the meeting until then. Once signed,
    the record is final and nobody changes who took part (superusers excepted, for repairs).
    """
    if not user.is_authenticated:
        return False
    if permissions.is_unrestricted(user):
        return True
    return meeting.status != Meeting.Status.SIGNED and permissions.can(user, "change", meeting.host_id)


def can_manage_participants(user, meeting: Meeting) -> bool:
    """Who is invited is the host's business, and also the secretariat's for a meeting it scheduled (it arranges
    the roundtable); either way only until the minutes are signed."""
    if can_administer(user, meeting):
        return True
    return (meeting.status != Meeting.Status.SIGNED and permissions.is_secretariat(user)
            and meeting.created_by_id is not None
            and permissions.secretariat_users().filter(pk=meeting.created_by_id).exists())


def visible_meetings(user) -> QuerySet[Meeting]:
    """Meetings the user takes part in or administers, newest first; the secretariat also sees those it keeps."""
    if not user.is_authenticated or not user.is_active:
        return Meeting.objects.none()
    if permissions.is_unrestricted(user):
        return Meeting.objects.select_related("host")
    administered = Meeting.objects.restrict(user, "change").values("pk")
    participating = Meeting.objects.for_participant(user).values("pk")
    visible = Q(pk__in=administered) | Q(pk__in=participating)
    if permissions.is_secretariat(user):
        visible |= Q(created_by__in=permissions.secretariat_users())
    return Meeting.objects.filter(visible).select_related("host")


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


def participating_provinces(meeting: Meeting) -> list[Province]:
    """Provinces with at least one participant (or the host); each must answer on the minutes."""
    ids = permissions.member_province_ids(user.pk for user, _role in participant_users(meeting))
    return list(Province.objects.filter(Q(pk=meeting.host_id) | Q(pk__in=ids)).ordered())


NOT_A_PARTICIPANT = _("您未参加本次会议，不能代表任何省市答复纪要。")
NOT_OF_PROVINCE = _("您不属于%(province)s，不能代表该省市答复纪要。")
OBSERVER_CANNOT_ANSWER = _("您以列席（只读）身份参加本次会议：只有能编辑会议记录的人员或%(province)s的审核发布人员"
                           "可以代表该省市确认纪要或记录保留意见。")


def minutes_answer_allowed(*, user, meeting: Meeting, province: Province, role: str | None = None):
    """(allowed, reason): who answers for a province on the minutes — someone of that province who may edit the
    notes (an editor participant or the host's staff) or the province's moderators (``publish``); observers and
    the secretariat never sign for a province."""
    role = role if role is not None else notes_role(user=user, meeting_id=meeting.pk)
    if role is None:
        return False, NOT_A_PARTICIPANT
    if not permissions.can(user, "participate", province):
        return False, NOT_OF_PROVINCE % {"province": province.name_zh}
    if role == EDITOR or permissions.can(user, "publish", province):
        return True, ""
    return False, OBSERVER_CANNOT_ANSWER % {"province": province.name_zh}


def open_action_items(user, province: Province | None = None) -> QuerySet[ActionItem]:
    """Open action items the user may see (their provinces'), soonest due first."""
    items = ActionItem.objects.restrict(user, "participate").filter(status=ActionItem.Status.OPEN)
    if province is not None:
        items = items.filter(owner_province=province)
    return items.select_related("owner_province", "owner_user", "meeting").order_by("due", "pk")


def can_read_board(user) -> bool:
    """Every province's staff (anyone taking part for some province) and the secretariat read the whole 督办 board:
    following up each other's resolutions is what the roundtable is for. Marking done stays with the owner."""
    return bool(permissions.province_ids_for(user, "participate")) or permissions.is_secretariat(user)


DUE_FILTERS = {"overdue": -1, "3": 3, "7": 7, "30": 30}


def action_board(user, *, province: Province | None = None, owner_id: int | None = None, due: str = "",
                 status: str = ActionItem.Status.OPEN) -> QuerySet[ActionItem]:
    """The cross-province 督办 board, filtered by owning province, owner (a person) and due date ("overdue", or
    due within 3/7/30 days); empty for anyone who may not read it."""
    if not can_read_board(user):
        return ActionItem.objects.none()
    items = ActionItem.objects.all()
    if status in ActionItem.Status.values:
        items = items.filter(status=status)
    if province is not None:
        items = items.filter(owner_province=province)
    if owner_id is not None:
        items = items.filter(owner_user_id=owner_id)
    today = timezone.localdate()
    if due == "overdue":
        items = items.filter(due__lt=today)
    elif due in DUE_FILTERS:
        items = items.filter(due__lte=today + timezone.timedelta(days=DUE_FILTERS[due]))
    order = ("due", "pk") if status == ActionItem.Status.OPEN else ("-done_at", "-pk")
    return items.select_related("owner_province", "owner_user", "meeting", "done_by").order_by(*order)


def action_board_owners():
    """People named as owners of some item, for the board's owner filter."""
    return get_user_model().objects.filter(pk__in=ActionItem.objects.exclude(owner_user=None).values(
        "owner_user")).order_by("username")


def participant_candidates(*, query: str = "", province: Province | None = None, limit: int = 20):
    """Accounts and groups to add to a meeting, found by (part of) a name, username or province name; a province
    filter keeps those who take part for that province. Returns (users with their province, groups)."""
    User = get_user_model()
    query = query.strip()
    users = User.objects.filter(is_active=True).exclude(username="AnonymousUser")
    groups = Group.objects.all()
    if province is not None:
        users = users.filter(pk__in=permissions.users_with("participate", province).values("pk"))
        groups = groups.filter(pk__in=permissions.province_groups(province).values("pk"))
    if query:
        named = Province.objects.filter(Q(name_zh__icontains=query) | Q(code__iexact=query))
        by_province = Q()
        for p in named:
            by_province |= Q(pk__in=permissions.users_with("participate", p).values("pk"))
        users = users.filter(Q(username__icontains=query) | Q(first_name__icontains=query)
                             | Q(last_name__icontains=query) | by_province)
        group_match = Q(name__icontains=query)
        for p in named:
            group_match |= Q(pk__in=permissions.province_groups(p).values("pk"))
        groups = groups.filter(group_match)
    elif province is None:
        return [], []
    users = list(users.order_by("username")[:limit])
    return [(u, user_province(u)) for u in users], list(groups.order_by("name")[:limit])


def next_meeting(user) -> Meeting | None:
    return visible_meetings(user).filter(
        status__in=[Meeting.Status.SCHEDULED, Meeting.Status.LIVE],
        starts_at__gte=timezone.now() - timezone.timedelta(hours=12)).order_by("starts_at").first()


# --- the live-notes access sweep ---------------------------------------------------------------------------
@dataclass
class Verdict:
    writable: bool
    roles: dict


#: Sizes of the sweep's compiled statements: a room's users are looked up in the smallest that holds them (the
#: rest of its places repeat one of them), in chunks of the largest.
SWEEP_SIZES = (1, 2, 4, 8, 16, 32, 64)
_sweep_sql: dict[tuple[str, int], tuple[str, list]] = {}


def _sweep_statement(size: int) -> tuple[str, list]:
    """The meeting's status and ``size`` users' roles (``_with_notes_role``, the handshake's rule) in one statement,
    compiled by the ORM once per vendor and size, with the meeting's and the users' places marked. Each room runs
    the sweep every two seconds: building its queries with the ORM each time cost ~3 ms of CPU, more than running
    them."""
    from django.db import connection

    key = (connection.vendor, size)
    compiled = _sweep_sql.get(key)
    if compiled is None:
        marks = [_USER_MARK - i for i in range(size)]
        status = Subquery(Meeting.objects.filter(pk=_MEETING_MARK).values("status")[:1])
        query = _with_notes_role(get_user_model().objects.filter(pk__in=marks), _MEETING_MARK).annotate(
            meeting_status_=status).values_list("pk", "notes_role_", "meeting_status_").order_by()
        sql, params = query.query.sql_with_params()
        compiled = _sweep_sql[key] = (sql, list(params))
    return compiled


def compile_statements() -> None:
    """Compile the live-notes statements of every size now (the worker's warm-up, ``hub.worker``): compiling one is
    ~20 ms of Python, which the first joiner of a meeting, and the first re-check of each room size, paid after a
    deploy. Needs no database connection (PostgreSQL plans each one on its first use per connection)."""
    for size in IDENTITY_SIZES:
        _identity_statement(size)
    for size in SWEEP_SIZES:
        _sweep_statement(size)


def _swept_roles(meeting_id: int, user_ids: list[int]) -> tuple[str | None, dict[int, str]]:
    """(the meeting's status, or None when it is gone; the users' roles), by the compiled sweep statements. The
    status needs a row: with no user given, the first statement looks up user 0, which never exists, and the
    status then comes from a plain read."""
    from django.db import connection

    ids = sorted(set(user_ids))
    status, roles = None, {}
    largest = SWEEP_SIZES[-1]
    for start in range(0, max(len(ids), 1), largest):
        chunk = ids[start:start + largest] or [0]
        size = next(n for n in SWEEP_SIZES if n >= len(chunk))
        sql, params = _sweep_statement(size)
        values = {_MEETING_MARK: meeting_id}
        values.update({_USER_MARK - i: chunk[min(i, len(chunk) - 1)] for i in range(size)})
        bound = [values.get(p, p) if type(p) is int else p for p in params]
        for pk, role, meeting_status in prepared.fetch_all(connection, sql, bound):
            status = meeting_status
            if role:
                roles[pk] = role
    if status is None:
        status = Meeting.objects.filter(pk=meeting_id).values_list("status", flat=True).first()
    return status, roles


def notes_access_sweep(*, meeting_id: int, sessions: list[tuple[int, str | None]]) -> Verdict:
    """For each (user id, session key) of open connections: the role they still hold, or none when the session
    ended (logout), the account was deactivated, or they no longer take part. The rooms' periodic re-check (a
    read: the handshake's rule, ``_with_notes_role``, for all of them at once)."""
    from importlib import import_module

    status, roles = _swept_roles(meeting_id, [u for u, _s in sessions])
    if status is None:
        return Verdict(False, {})
    keys = {s for _u, s in sessions if s}
    live_sessions = {}
    if keys:
        from django.contrib.auth import SESSION_KEY as USER_ID_KEY

        engine = import_module(settings.SESSION_ENGINE)
        stores = [engine.SessionStore(key) for key in keys]
        load_many(stores)  # one cache round trip and one query for all of them: a load each was most of a sweep
        for store in stores:
            if store.session_key is not None:
                live_sessions[store.session_key] = str(store.get(USER_ID_KEY))
    result = {}
    for user_id, key in sessions:
        if key is not None and live_sessions.get(key) != str(user_id):
            continue
        if user_id in roles:
            result[(user_id, key)] = roles[user_id]
    return Verdict(status in (Meeting.Status.SCHEDULED, Meeting.Status.LIVE), result)
