"""The rules of the expert pool: registration and verification, availability, requests, the random draw.

Permissions: an expert's coordinator holds ``coordinate`` on the expert's home province; requesting staff hold
``add`` (editors, moderators) or ``coordinate`` on the requesting province; an expert acts only on their own
profile and their own assignments.
"""
from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from expert_pool import draw as drawing
from expert_pool import duplicates, notify, phones, selectors, visibility
from expert_pool.models import (
    BOOKED_STATUSES,
    RELEASED_STATUSES,
    Assignment,
    Availability,
    Conflict,
    Draw,
    Expert,
    ExpertRequest,
    Qualification,
)
from hub.permissions import require

#: Fields the coordinator verified; an active expert's changes to them wait for the coordinator.
VERIFIED_FIELDS = ("name", "employer", "title", "qualifications")
#: Statuses in which nothing is verified yet, so the applicant's edits apply at once.
UNVERIFIED = (Expert.Status.PENDING, Expert.Status.REJECTED)
PROFILE_FIELDS = ("name", "employer", "title", "industries", "languages", "bio", "phone", "email")
STATUS_FLOW = {
    Expert.Status.PENDING: {Expert.Status.ACTIVE, Expert.Status.REJECTED, Expert.Status.RETIRED},
    Expert.Status.REJECTED: {Expert.Status.RETIRED},
    Expert.Status.ACTIVE: {Expert.Status.SUSPENDED, Expert.Status.RETIRED},
    Expert.Status.SUSPENDED: {Expert.Status.ACTIVE, Expert.Status.RETIRED},
    Expert.Status.RETIRED: set(),
}


def _today() -> datetime.date:
    return timezone.localdate()


def refresh_search(expert: Expert) -> None:
    """Rebuild the per-audience search texts after the profile or its visibility changed."""
    fresh = (Expert.objects.select_related("province").prefetch_related("specialisms", "qualifications")
             .get(pk=expert.pk))
    docs = visibility.search_documents(fresh)
    Expert.objects.filter(pk=expert.pk).update(**docs)
    for key, value in docs.items():
        setattr(expert, key, value)


def _languages(codes) -> str:
    codes = [c for c in codes if c]
    return "," + ",".join(dict.fromkeys(codes)) + "," if codes else ",zh,"


NEEDS_CONSENT = _("联系方式只能由专家本人在“公开联系方式”页面确认同意后公开。")


def _clean_visibility(value: dict | None, expert: Expert | None = None) -> dict:
    """The configurable groups' audiences; contact details stay non-public unless the expert consented."""
    value = value or {}
    allowed = {a for a, _label in visibility.AUDIENCES}
    clean = {g: value[g] for g in visibility.CONFIGURABLE if value.get(g) in allowed}
    if clean.get(visibility.CONSENTED) == visibility.PUBLIC and not (
            expert is not None and expert.contact_public_consent_at):
        raise ValidationError({"visibility": NEEDS_CONSENT})
    return clean


@transaction.atomic
def expert_contact_consent(*, actor, consent: bool) -> Expert:
    """The expert agrees (or withdraws agreement) that phone and e-mail be shown to everyone, signed in or not.
    Only the expert themself can do this; withdrawing returns contact details to the home province only."""
    expert = Expert.objects.select_for_update().get(pk=own_expert(actor).pk)
    if consent:
        expert.contact_public_consent_at = timezone.now()
        expert.visibility = {**(expert.visibility or {}), visibility.CONSENTED: visibility.PUBLIC}
    else:
        expert.contact_public_consent_at = None
        expert.visibility = {**(expert.visibility or {}), visibility.CONSENTED: visibility.HOME}
    expert.full_clean(exclude=["user", "possible_duplicate_of"])
    expert.save()
    refresh_search(expert)
    return expert


def find_duplicate(*, name: str, employer: str, phone: str = "", email: str = "", exclude_pk=None) -> Expert | None:
    """The same person registered before: the same phone (normalised) or e-mail, or a name that sounds the same
    (pinyin) with the same employer (fuzzy). See ``expert_pool.duplicates``."""
    found = duplicate_matches(name=name, employer=employer, phone=phone, email=email, exclude_pk=exclude_pk)
    return found[0].expert if found else None


def duplicate_matches(*, name: str, employer: str, phone: str = "", email: str = "", exclude_pk=None):
    candidates = duplicates.candidate_queryset(Expert, name=name, employer=employer, phone=phone,
                                               email=email).exclude(pk=exclude_pk)
    return duplicates.matches(candidates.order_by("pk")[:500], name=name, employer=employer, phone=phone,
                              email=email)


def clean_phone(value: str) -> str:
    """The stored form of a phone number, or a ``ValidationError`` on the phone field."""
    try:
        return phones.normalise(value)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc


def _assign_number(expert: Expert) -> None:
    """Every expert carries an association number (编号): imported ones keep theirs, others get
    ``<province code>-<5 digits>`` — the same number the directory shows, exports write and imports read."""
    if expert.external_ref:
        return
    base = f"{expert.province.code}-{expert.pk:05d}"
    number, n = base, 1
    while Expert.objects.filter(province=expert.province_id, external_ref=number).exists():
        n += 1
        number = f"{base}-{n}"
    expert.external_ref = number
    Expert.objects.filter(pk=expert.pk).update(external_ref=number)


@transaction.atomic
def expert_create(*, province, name: str, employer: str, title: str = "", specialisms=(), qualifications=(),
                  industries: str = "", languages=("zh",), bio: str = "", phone: str = "", email: str = "",
                  visibility_: dict | None = None, user=None, status: str = Expert.Status.PENDING,
                  external_ref: str = "", photo=None) -> Expert:
    """A new profile; a likely duplicate is linked so that the coordinator decides (never silently merged)."""
    phone = clean_phone(phone)
    expert = Expert(
        province=province, user=user, name=name.strip(), employer=employer.strip(), title=title.strip(),
        industries=industries.strip(), languages=_languages(languages), bio=bio.strip(), phone=phone,
        email=email.strip(), visibility=_clean_visibility(visibility_), status=status,
        external_ref=external_ref.strip(),
    )
    if photo:
        expert.photo = photo
    expert.possible_duplicate_of = find_duplicate(name=name, employer=employer, phone=phone, email=email)
    expert.full_clean(exclude=["user", "possible_duplicate_of"])
    expert.save()
    _assign_number(expert)
    expert.specialisms.set(specialisms)
    expert.qualifications.set(qualifications)
    refresh_search(expert)
    if status == Expert.Status.PENDING:
        notify.expert_registered(expert)
    return expert


@transaction.atomic
def expert_register(*, password: str, province, name: str, employer: str, username: str | None = None,
                    **profile) -> Expert:
    """Self-registration: an account and a pending profile, checked by the home province's coordinator.

    The site's form passes no username: the hub assigns one (``new_username``), so the form's answer cannot tell
    an anonymous visitor which usernames exist. An explicit username (imports, the shell) must be free."""
    User = get_user_model()
    if username is None:
        username = new_username(province)
    elif User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("该用户名已被使用，请换一个。")})
    user = User(username=username, email=profile.get("email", ""), first_name=name)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return expert_create(province=province, name=name, employer=employer, user=user, **profile)


def new_username(province) -> str:
    """A fresh login name for a self-registered expert: the province code and six random letters and digits."""
    import secrets

    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a screen and typed again
    User = get_user_model()
    while True:
        candidate = f"{province.code.lower()}-{''.join(secrets.choice(alphabet) for _i in range(6))}"
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate


def own_expert(actor) -> Expert:
    expert = Expert.objects.filter(user=actor).first() if actor.is_authenticated else None
    if expert is None:
        raise Http404
    return expert


@transaction.atomic
def expert_update_own(*, actor, specialisms=None, qualifications=None, visibility_=None, photo=None,
                      **fields) -> Expert:
    """The expert edits their profile; while active, changes to verified fields wait for the coordinator."""
    expert = Expert.objects.select_for_update().get(pk=own_expert(actor).pk)
    held = dict(expert.pending_changes)
    if "languages" in fields:
        fields["languages"] = _languages(fields["languages"])
    if "phone" in fields:
        fields["phone"] = clean_phone(fields["phone"])
    for key, value in fields.items():
        if key not in PROFILE_FIELDS:
            raise ValueError(key)
        value = value.strip() if isinstance(value, str) else value
        if key in VERIFIED_FIELDS and expert.status not in UNVERIFIED:
            if value != getattr(expert, key):
                held[key] = value
            else:
                held.pop(key, None)
        else:
            setattr(expert, key, value)
    if qualifications is not None:
        wanted = sorted(q.pk if hasattr(q, "pk") else int(q) for q in qualifications)
        current = sorted(expert.qualifications.values_list("pk", flat=True))
        if expert.status in UNVERIFIED:
            expert.qualifications.set(wanted)
        elif wanted != current:
            held["qualifications"] = wanted
        else:
            held.pop("qualifications", None)
    if visibility_ is not None:
        expert.visibility = _clean_visibility(visibility_, expert)
    if photo:
        expert.photo = photo
    changed = held != expert.pending_changes and held
    expert.pending_changes = held
    resubmitted = expert.status == Expert.Status.REJECTED
    if resubmitted:
        expert.status = Expert.Status.PENDING
        expert.possible_duplicate_of = find_duplicate(name=expert.name, employer=expert.employer,
                                                      phone=expert.phone, email=expert.email, exclude_pk=expert.pk)
    expert.full_clean(exclude=["user", "possible_duplicate_of"])
    expert.save()
    if specialisms is not None:
        expert.specialisms.set(specialisms)
    refresh_search(expert)
    if resubmitted:
        notify.expert_registered(expert)
    elif changed:
        notify.profile_changed(expert)
    return expert


def _coordinated(actor, expert_id: int) -> Expert:
    expert = Expert.objects.restrict(actor, "view").select_for_update().filter(pk=expert_id).first()
    if expert is None:
        raise Http404
    require(actor, "coordinate", expert.province_id)
    return expert


REASON_NEEDED = _("请填写未通过的原因，申请人会看到它。")


@transaction.atomic
def expert_set_status(*, actor, expert_id: int, status: str, reason: str = "") -> Expert:
    """The home coordinator approves, rejects (with a reason the applicant reads), suspends, reinstates or retires
    an expert. The applicant is mailed the outcome of their registration."""
    expert = _coordinated(actor, expert_id)
    if status not in STATUS_FLOW.get(expert.status, set()):
        raise ValidationError(_("不能从“%(old)s”改为“%(new)s”。") % {
            "old": expert.get_status_display(), "new": Expert.Status(status).label if status in Expert.Status.values
            else status})
    decided = expert.status == Expert.Status.PENDING and status in (Expert.Status.ACTIVE, Expert.Status.REJECTED)
    if status == Expert.Status.REJECTED:
        if not reason.strip():
            raise ValidationError({"reason": REASON_NEEDED})
        expert.rejection_reason = reason.strip()
    elif status == Expert.Status.ACTIVE:
        expert.rejection_reason = ""
    expert.status = status
    if status == Expert.Status.ACTIVE and expert.approved_at is None:
        expert.approved_at, expert.approved_by = timezone.now(), actor
    expert.possible_duplicate_of = None if status == Expert.Status.ACTIVE else expert.possible_duplicate_of
    expert.save()
    if decided:
        notify.expert_decided(expert)
    return expert


@transaction.atomic
def expert_dismiss_duplicate(*, actor, expert_id: int) -> Expert:
    """The home coordinator decides that a record flagged as a likely duplicate is another person."""
    expert = _coordinated(actor, expert_id)
    if expert.possible_duplicate_of_id is None:
        raise ValidationError(_("该记录没有疑似重复标记。"))
    expert.possible_duplicate_of = None
    expert.save(update_fields=["possible_duplicate_of"])
    return expert


MERGE_FIELDS = ("title", "industries", "bio", "phone", "email")


@transaction.atomic
def expert_merge(*, actor, keep_id: int, drop_id: int) -> Expert:
    """The coordinator merges a duplicate registration into the record kept: empty fields, specialisms,
    qualifications, availability, conflicts and the account move over; the duplicate is deleted. Only a record
    that never served (no assignment) can be merged away, and both must belong to the coordinator's province."""
    if keep_id == drop_id:
        raise ValidationError(_("不能与自身合并。"))
    keep, drop = _coordinated(actor, keep_id), _coordinated(actor, drop_id)
    if keep.province_id != drop.province_id:
        raise ValidationError(_("只能合并同一省市的专家记录。"))
    if drop.assignments.exists():
        raise ValidationError(_("“%(name)s”已有借用记录，不能被合并；请保留它，合并另一条。") % {"name": drop.name})
    if keep.user_id and drop.user_id:
        raise ValidationError(_("两条记录各有登录账号，不能合并；请先与专家确认使用哪个账号。"))
    for name in MERGE_FIELDS:
        if not getattr(keep, name) and getattr(drop, name):
            setattr(keep, name, getattr(drop, name))
    keep.languages = _languages(keep.language_codes() + drop.language_codes())
    user = drop.user
    drop.availability.update(expert=keep)
    drop.conflicts.update(expert=keep)
    keep.specialisms.add(*drop.specialisms.all())
    keep.qualifications.add(*drop.qualifications.all())
    Expert.objects.filter(possible_duplicate_of=drop).update(possible_duplicate_of=keep)
    drop.delete()
    if user is not None and keep.user_id is None:
        keep.user = user
    if keep.possible_duplicate_of_id == drop.pk:
        keep.possible_duplicate_of = None
    keep.full_clean(exclude=["user", "possible_duplicate_of"])
    keep.save()
    refresh_search(keep)
    log(instance=keep, action="expert_pool.expert.merge", user=actor,
        data={"kept": keep.pk, "merged": drop_id, "merged_name": drop.name})
    return keep


@transaction.atomic
def expert_review_changes(*, actor, expert_id: int, accept: bool) -> Expert:
    """The home coordinator accepts or rejects the expert's changes to verified fields."""
    expert = _coordinated(actor, expert_id)
    if not expert.pending_changes:
        raise ValidationError(_("没有待审核的资料变更。"))
    if accept:
        for key, value in expert.pending_changes.items():
            if key == "qualifications":
                expert.qualifications.set(Qualification.objects.filter(pk__in=value))
            else:
                setattr(expert, key, value)
    expert.pending_changes = {}
    expert.full_clean(exclude=["user", "possible_duplicate_of"])
    expert.save()
    refresh_search(expert)
    notify.changes_decided(expert, accepted=accept)
    return expert


@transaction.atomic
def expert_set_visibility(*, actor, expert_id: int, visibility_: dict) -> Expert:
    """The home coordinator sets who sees each field group (the expert does it in their own profile)."""
    expert = _coordinated(actor, expert_id)
    expert.visibility = _clean_visibility(visibility_, expert)
    expert.save()
    refresh_search(expert)
    return expert


# ---------------------------------------------------------------- availability and conflicts

@transaction.atomic
def availability_add(*, actor, start: datetime.date, end: datetime.date, mode: str, regions=()) -> Availability:
    """Add a range; overlapping or adjoining ranges of the same kind are merged, a clash of kinds is refused."""
    expert = Expert.objects.select_for_update().get(pk=own_expert(actor).pk)
    if end < start:
        raise ValidationError({"end": _("结束日期不能早于开始日期。")})
    if end < _today():
        raise ValidationError({"end": _("不能登记已经过去的日期。")})
    day = datetime.timedelta(days=1)
    touching = list(expert.availability.filter(start__lte=end + day, end__gte=start - day).prefetch_related("regions"))
    clash = [a for a in touching if a.mode != mode and a.start <= end and a.end >= start]
    if clash:
        other = clash[0]
        raise ValidationError(_("与已登记的 %(start)s 至 %(end)s（%(mode)s）重叠，方式不同，无法合并。请先修改或删除那一段。")
                              % {"start": other.start, "end": other.end, "mode": other.get_mode_display()})
    same = [a for a in touching if a.mode == mode]
    region_ids = {r.pk if hasattr(r, "pk") else int(r) for r in regions}
    for other in same:
        start, end = min(start, other.start), max(end, other.end)
        region_ids |= {r.pk for r in other.regions.all()}
    Availability.objects.filter(pk__in=[a.pk for a in same]).delete()
    availability = Availability(expert=expert, start=start, end=end, mode=mode)
    availability.full_clean()
    availability.save()
    availability.regions.set(region_ids)
    return availability


@transaction.atomic
def availability_update(*, actor, availability_id: int, start: datetime.date, end: datetime.date, mode: str,
                        regions=()) -> Availability:
    """Change a range: the same rules as adding one (merging, no clash of kinds, no past dates); on refusal the
    range stays as it was."""
    expert = Expert.objects.select_for_update().get(pk=own_expert(actor).pk)
    deleted, _counts = Availability.objects.filter(pk=availability_id, expert=expert).delete()
    if not deleted:
        raise Http404
    return availability_add(actor=actor, start=start, end=end, mode=mode, regions=regions)


@transaction.atomic
def availability_remove(*, actor, availability_id: int) -> None:
    deleted, _ = Availability.objects.filter(pk=availability_id, expert=own_expert(actor)).delete()
    if not deleted:
        raise Http404


@transaction.atomic
def conflict_add(*, actor, organisation: str, kind: str, until=None, note: str = "") -> Conflict:
    """Declare a conflict of interest; it counts for avoidance in draws for three years after ``until``."""
    conflict = Conflict(expert=own_expert(actor), organisation=organisation.strip(), kind=kind, until=until,
                        note=note.strip())
    conflict.full_clean()
    conflict.save()
    return conflict


@transaction.atomic
def conflict_remove(*, actor, conflict_id: int) -> None:
    deleted, _ = Conflict.objects.filter(pk=conflict_id, expert=own_expert(actor)).delete()
    if not deleted:
        raise Http404


# ---------------------------------------------------------------- requests

def _requester_check(actor, province_id: int) -> None:
    if not selectors.can_request_for(actor, province_id):
        raise PermissionDenied


@transaction.atomic
def request_create(*, actor, province, title: str, purpose: str, start: datetime.date, end: datetime.date,
                   place: str, specialisms, number_needed: int = 1, reserves_needed: int = 0, remote: bool = False,
                   elsewhere_only: bool = False, organisation_under_review: str = "",
                   respond_by: datetime.date | None = None, expert_ids=(), organisation_province=None,
                   avoid_organisation_province: bool = False, max_per_province: int | None = None) -> ExpertRequest:
    """Ask for experts (借用专家), naming them or leaving them to a draw; dates must lie in the future."""
    _requester_check(actor, province.pk)
    today = _today()
    if start and start <= today:
        raise ValidationError({"start": _("开始日期必须晚于今天。")})
    request = ExpertRequest(
        requesting_province=province, created_by=actor, title=title.strip(), purpose=purpose, start=start, end=end,
        place=place.strip(), remote=remote, number_needed=number_needed, reserves_needed=reserves_needed,
        elsewhere_only=elsewhere_only, organisation_under_review=organisation_under_review.strip(),
        respond_by=respond_by or (start - datetime.timedelta(days=1) if start else None),
        organisation_province=organisation_province, avoid_organisation_province=avoid_organisation_province,
        max_per_province=max_per_province,
    )
    if avoid_organisation_province and organisation_province is None:
        raise ValidationError({"organisation_province": _("要回避被评价单位所在省市，请选择该省市。")})
    if request.respond_by and request.respond_by < today:
        raise ValidationError({"respond_by": _("答复截止日期不能早于今天。")})
    request.full_clean()
    request.save()
    if not specialisms:
        raise ValidationError({"specialisms": _("请至少选择一个专业领域。")})
    request.specialisms.set(specialisms)
    if expert_ids:
        if len(set(expert_ids)) > number_needed:
            raise ValidationError({"expert_ids": _("点名的专家多于所需人数（%(n)s 名）。") % {"n": number_needed}})
        experts = list(Expert.objects.active().filter(pk__in=expert_ids))
        if len(experts) != len(set(expert_ids)):
            raise ValidationError({"expert_ids": _("点名的专家中有人不在库或不存在。")})
        if elsewhere_only and any(e.province_id == province.pk for e in experts):
            raise ValidationError({"expert_ids": _("本申请要求异地专家，不能点名本省专家。")})
        # Fail at the first step, not after two people said yes: an expert already booked on these dates cannot be
        # named. Only the dates of the other booking are quoted; its request belongs to someone else.
        booked = {a.expert_id: a for a in Assignment.objects.filter(
            expert__in=experts, status__in=BOOKED_STATUSES, start__lte=end, end__gte=start).order_by("start")}
        if booked:
            raise ValidationError({"expert_ids": [ALREADY_BOOKED % {
                "name": e.name, "start": booked[e.pk].start, "end": booked[e.pk].end} for e in experts
                if e.pk in booked]})
        for expert in experts:
            _assign(request, expert, drawn=False)
    return request


ALREADY_BOOKED = _("%(name)s 在 %(start)s 至 %(end)s 已有确认的任务，与本申请时间重叠，请另选专家或调整日期。")


def _assign(request: ExpertRequest, expert: Expert, *, drawn: bool) -> Assignment:
    assignment = Assignment(request=request, expert=expert, start=request.start, end=request.end, drawn=drawn)
    assignment.full_clean()
    assignment.save()
    notify.assignment_step(assignment)
    return assignment


@transaction.atomic
def request_withdraw(*, actor, request_id: int) -> ExpertRequest:
    """The requesting province withdraws; every assignment not yet completed is withdrawn with it."""
    request = _locked_request(actor, request_id)
    _requester_check(actor, request.requesting_province_id)
    if request.status == ExpertRequest.Status.WITHDRAWN:
        raise ValidationError(_("该申请已经撤回。"))
    if request.assignments.filter(status=Assignment.Status.COMPLETED).exists():
        raise ValidationError(_("已有专家完成任务，不能撤回。"))
    request.status = ExpertRequest.Status.WITHDRAWN
    request.save(update_fields=["status"])
    for assignment in request.assignments.exclude(status__in=RELEASED_STATUSES).select_related(
            "request__requesting_province", "expert"):
        previous = assignment.status
        assignment.status = Assignment.Status.WITHDRAWN
        assignment.save(update_fields=["status", "updated_at"])
        notify.assignment_step(assignment, previous=previous)
    return request


def _locked_request(actor, request_id: int) -> ExpertRequest:
    request = ExpertRequest.objects.restrict(actor, "view").filter(pk=request_id).first()
    if request is None:
        raise Http404
    return ExpertRequest.objects.select_for_update().get(pk=request.pk)


def _locked_assignment(actor, assignment_id: int) -> Assignment:
    visible = Assignment.objects.restrict(actor, "view").filter(pk=assignment_id).values_list("pk", flat=True)
    if not visible:
        raise Http404
    return Assignment.objects.select_for_update().select_related("request", "expert").get(pk=assignment_id)


def _open(assignment: Assignment) -> None:
    request = assignment.request
    if request.status == ExpertRequest.Status.WITHDRAWN:
        raise ValidationError(_("该申请已被申请方撤回。"))
    if request.is_expired(_today()):
        raise ValidationError(_("该申请已过答复截止日期（%(date)s）。") % {"date": request.respond_by})


def _expect(assignment: Assignment, *statuses) -> None:
    if assignment.status not in statuses:
        raise ValidationError(_("当前状态为“%(status)s”，不能进行此操作。") % {"status": assignment.get_status_display()})


def _step(assignment: Assignment, status: str, actor=None, **changes) -> Assignment:
    previous, assignment.status = assignment.status, status
    for key, value in changes.items():
        setattr(assignment, key, value)
    if actor is not None:
        assignment.decided_by = actor
    assignment.full_clean()
    assignment.save()
    notify.assignment_step(assignment, previous=previous)
    return assignment


DOUBLE_BOOKED = _("%(name)s 在 %(start)s 至 %(end)s 已确认参加“%(title)s”（%(province)s），与本申请时间重叠，"
                  "不能重复安排。")


def _existing_booking(assignment: Assignment) -> Assignment | None:
    """The expert's confirmed (or completed) assignment that overlaps this one, if any."""
    return (Assignment.objects.filter(expert=assignment.expert_id, status__in=BOOKED_STATUSES,
                                      start__lte=assignment.end, end__gte=assignment.start)
            .exclude(pk=assignment.pk).select_related("request", "request__requesting_province")
            .order_by("start").first())


def _double_booked_message(assignment: Assignment, existing: Assignment) -> str:
    """Quotes the booking that is already there — its dates and its request — not the new one."""
    return DOUBLE_BOOKED % {"name": assignment.expert.name, "start": existing.start, "end": existing.end,
                            "title": existing.request.title,
                            "province": existing.request.requesting_province.name_zh}


def _refuse_double_booking(assignment: Assignment) -> None:
    Expert.objects.select_for_update().filter(pk=assignment.expert_id).first()
    existing = _existing_booking(assignment)
    if existing is not None:
        raise ValidationError(_double_booked_message(assignment, existing))


@transaction.atomic
def assignment_approve(*, actor, assignment_id: int, approve: bool, note: str = "") -> Assignment:
    """The expert's home coordinator lets the expert be asked (or not). An expert already booked for those dates
    cannot be approved: the coordinator learns it now, quoting the existing booking, and refuses instead."""
    assignment = _locked_assignment(actor, assignment_id)
    require(actor, "coordinate", assignment.expert.province_id)
    _expect(assignment, Assignment.Status.REQUESTED)
    _open(assignment)
    if approve:
        _refuse_double_booking(assignment)
    return _step(assignment, Assignment.Status.APPROVED if approve else Assignment.Status.REFUSED, actor,
                 answer_note=note.strip())


@transaction.atomic
def assignment_answer(*, actor, assignment_id: int, accept: bool, note: str = "") -> Assignment:
    """The expert accepts or declines; only their own assignments, only while the request is open. Accepting
    dates already booked elsewhere is refused, quoting that booking."""
    assignment = _locked_assignment(actor, assignment_id)
    if assignment.expert.user_id != actor.pk:
        raise PermissionDenied
    _expect(assignment, Assignment.Status.APPROVED)
    _open(assignment)
    if accept:
        _refuse_double_booking(assignment)
    return _step(assignment, Assignment.Status.ACCEPTED if accept else Assignment.Status.DECLINED,
                 answer_note=note.strip())


class DoubleBooked(ValidationError):
    """Raised after the clashing assignment was released (committed), so the request can move on."""


def assignment_confirm(*, actor, assignment_id: int) -> Assignment:
    """The requester confirms an accepted expert. An expert is never double-booked: checked under a lock on the
    expert row, and guaranteed on PostgreSQL by the exclusion constraint. When another booking won meanwhile, this
    assignment is released as 时间冲突 (committed, so the request is not stuck: a reserve or a new draw fills the
    place) and ``DoubleBooked`` quotes the booking that won."""
    outcome = _confirm(actor=actor, assignment_id=assignment_id)
    if isinstance(outcome, str):
        raise DoubleBooked(outcome)
    return outcome


@transaction.atomic
def _confirm(*, actor, assignment_id: int) -> Assignment | str:
    assignment = _locked_assignment(actor, assignment_id)
    _requester_check(actor, assignment.request.requesting_province_id)
    _expect(assignment, Assignment.Status.ACCEPTED)
    if assignment.request.status == ExpertRequest.Status.WITHDRAWN:
        raise ValidationError(_("该申请已被申请方撤回。"))
    Expert.objects.select_for_update().filter(pk=assignment.expert_id).first()
    existing = _existing_booking(assignment)
    if existing is None:
        try:
            with transaction.atomic():
                return _step(assignment, Assignment.Status.CONFIRMED)
        except IntegrityError:
            existing = _existing_booking(assignment)
            if existing is None:
                raise
    message = _double_booked_message(assignment, existing)
    _step(assignment, Assignment.Status.UNAVAILABLE, answer_note=message[:200])
    return message


@transaction.atomic
def assignment_complete(*, actor, assignment_id: int) -> Assignment:
    assignment = _locked_assignment(actor, assignment_id)
    _requester_check(actor, assignment.request.requesting_province_id)
    _expect(assignment, Assignment.Status.CONFIRMED)
    if assignment.start > _today():
        raise ValidationError(_("任务尚未开始（%(date)s），不能标记为完成。") % {"date": assignment.start})
    return _step(assignment, Assignment.Status.COMPLETED, completed_at=timezone.now())


@transaction.atomic
def assignment_rate(*, actor, assignment_id: int, rating: int, comment: str = "") -> Assignment:
    """The requester rates a completed assignment once, within the rating window."""
    assignment = _locked_assignment(actor, assignment_id)
    _requester_check(actor, assignment.request.requesting_province_id)
    if assignment.status != Assignment.Status.COMPLETED:
        raise ValidationError(_("任务完成后才能评价。"))
    if assignment.rating is not None:
        raise ValidationError(_("已经评价过，不能重复评价。"))
    deadline = assignment.completed_at + datetime.timedelta(days=selectors.rating_window_days())
    if timezone.now() > deadline:
        raise ValidationError(_("评价期限已过（完成后 %(days)s 天内）。") % {"days": selectors.rating_window_days()})
    if rating not in range(1, 6):
        raise ValidationError({"rating": _("评分为 1–5 分。")})
    assignment.rating, assignment.rating_comment, assignment.rated_at = rating, comment.strip(), timezone.now()
    assignment.full_clean()
    assignment.save()
    return assignment


# ---------------------------------------------------------------- draws

def _shortfall_message(pool: selectors.DrawPool, wanted: int) -> str:
    counts = pool.excluded_by_reason()
    parts = "，".join(f"{selectors.REASONS[code]} {n} 名" for code, n in counts.items())
    message = _("需要抽取 %(wanted)s 名（含备选），但符合条件的专家只有 %(eligible)s 名。"
                "具备所需专业且该时段可服务的在库专家共 %(considered)s 名") % {
        "wanted": wanted, "eligible": len(pool.candidate_ids), "considered": pool.considered}
    if parts:
        message += _("，其中 %(n)s 名因回避被排除：%(parts)s。") % {"n": len(pool.exclusions), "parts": parts}
    else:
        message += "。"
    return message


@transaction.atomic
def draw_run(*, actor, request_id: int, seed: int | None = None, principals: int | None = None,
             reserves: int | None = None) -> Draw:
    """Draw principals and reserves at random among eligible experts and record everything needed to replay it.
    Drawn principals join the request and go to their home coordinators for approval."""
    request = _locked_request(actor, request_id)
    _requester_check(actor, request.requesting_province_id)
    if request.status == ExpertRequest.Status.WITHDRAWN:
        raise ValidationError(_("该申请已经撤回。"))
    if request.start <= _today():
        raise ValidationError(_("申请的开始日期已过，不能再抽取。"))
    open_slots = request.number_needed - request.assignments.exclude(status__in=RELEASED_STATUSES).count()
    principals = open_slots if principals is None else principals
    reserves = request.reserves_needed if reserves is None else reserves
    if principals < 1:
        raise ValidationError(_("所需人数已满，无需抽取。"))
    cap = selectors.rotation_cap()
    pool = selectors.draw_pool(request, today=_today(), cap=cap)
    if principals + reserves > len(pool.candidate_ids):
        raise ValidationError(_shortfall_message(pool, principals + reserves))
    seed = drawing.new_seed() if seed is None else seed
    province_cap, employer_cap = selectors.province_cap_for(request), EMPLOYER_CAP
    preset = selectors.panel_preset(request)
    try:
        chosen, spare = drawing.pick_capped(pool.candidate_ids, seed, principals, reserves, attrs=pool.attrs,
                                            province_cap=province_cap, employer_cap=employer_cap, preset=preset)
    except drawing.CapsUnmet as exc:
        raise ValidationError(_caps_message(pool, principals, reserves, province_cap)) from exc
    record = Draw(request=request, seed=seed, run_at=timezone.now(), run_by=actor, rotation_cap=cap,
                  principals_wanted=principals, reserves_wanted=reserves, candidate_ids=pool.candidate_ids,
                  exclusions=pool.exclusions, principal_ids=chosen, reserve_ids=spare, algorithm=2,
                  province_cap=province_cap, employer_cap=employer_cap, candidate_attrs=pool.attrs, preset=preset,
                  avoided_province=request.organisation_province if request.avoid_organisation_province else None)
    record.full_clean()
    record.save()
    experts = {e.pk: e for e in Expert.objects.filter(pk__in=chosen)}
    for pk in chosen:
        _assign(request, experts[pk], drawn=True)
    log(instance=request, action="expert_pool.draw", user=actor, data={
        "draw": record.pk, "seed": seed, "principals": chosen, "reserves": spare,
        "candidates": len(pool.candidate_ids), "excluded": len(pool.exclusions), "province_cap": province_cap,
        "employer_cap": employer_cap, "avoided_province": record.avoided_province_id})
    return record


EMPLOYER_CAP = 1


def _caps_message(pool, principals: int, reserves: int, province_cap: int | None) -> str:
    provinces = len({attr[0] for attr in pool.attrs.values()})
    employers = len({attr[1] for attr in pool.attrs.values()})
    return _("符合条件的 %(n)s 名专家来自 %(p)s 个省市、%(e)s 个单位，无法在“每省正选最多 %(cap)s 名、"
             "正选与备选不得同一单位”的限制下抽出 %(principals)s 名正选和 %(reserves)s 名备选。"
             "可放宽每省上限、减少备选人数或扩大专业范围。") % {
        "n": len(pool.candidate_ids), "p": provinces, "e": employers,
        "cap": province_cap if province_cap is not None else "—", "principals": principals, "reserves": reserves}


def draw_replay(draw: Draw) -> tuple[list[int], list[int], bool]:
    """Recompute the draw from its stored candidates and seed: (principals, reserves, equal to the record)."""
    if draw.algorithm >= 2:
        principals, reserves = drawing.pick_capped(
            draw.candidate_ids, draw.seed, draw.principals_wanted, draw.reserves_wanted, attrs=draw.candidate_attrs,
            province_cap=draw.province_cap, employer_cap=draw.employer_cap, preset=draw.preset)
    else:
        principals, reserves = drawing.pick(draw.candidate_ids, draw.seed, draw.principals_wanted,
                                            draw.reserves_wanted)
    return principals, reserves, (principals == draw.principal_ids and reserves == draw.reserve_ids)


@transaction.atomic
def draw_call_reserve(*, actor, draw_id: int) -> Assignment:
    """Ask the next reserve of a draw, in drawn order, after a principal declined or was refused."""
    record = Draw.objects.restrict(actor, "view").filter(pk=draw_id).first()
    if record is None:
        raise Http404
    request = _locked_request(actor, record.request_id)
    _requester_check(actor, request.requesting_province_id)
    if request.status == ExpertRequest.Status.WITHDRAWN:
        raise ValidationError(_("该申请已经撤回。"))
    active = request.assignments.exclude(status__in=RELEASED_STATUSES).count()
    if active >= request.number_needed:
        raise ValidationError(_("所需人数已满，无需递补。"))
    taken = set(request.assignments.values_list("expert_id", flat=True))
    # The panel's province cap holds for reserves called in too: a reserve from a province already at the cap is
    # passed over (and stays available for a later call).
    held = selectors.panel_preset(request)["provinces"]
    cap = record.province_cap
    skipped = False
    for pk in record.reserve_ids:
        if pk not in taken:
            expert = Expert.objects.active().filter(pk=pk).first()
            if expert is None:
                continue
            if cap is not None and held.get(str(expert.province_id), 0) >= cap:
                skipped = True
                continue
            return _assign(request, expert, drawn=True)
    if skipped:
        raise ValidationError(_("剩余备选专家所在省市的正选人数已达上限（每省 %(cap)s 名），请重新抽取。") % {"cap": cap})
    raise ValidationError(_("备选专家已全部递补，请重新抽取。"))
