"""Rules of joint evaluation programmes (质量评价认证协同): sign-off, rubric, applications and their check, the panel
draw, conflict declarations and reserves, blind scoring, aggregation, announcement and objections, publication,
revocation, and each province's recognition of another province's results.

Every service is keyword-only and atomic; a refusal raises ``ValidationError`` (Chinese, for the person) or
``PermissionDenied`` and writes nothing. Reads that other code reuses live in ``sharing.evaluation_selectors``.
"""
from __future__ import annotations

import decimal
import random
import secrets
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from hub import permissions
from sharing.models.evaluations import (
    Application,
    ApplicationAttachment,
    Criterion,
    Enterprise,
    Objection,
    PanelDraw,
    Programme,
    Result,
    ResultLevel,
    ResultRecognition,
    Score,
    ScoreSheet,
    Seat,
    Signoff,
    new_code,
)

Stage = Programme.Stage
TWO = Decimal("0.01")


# --- enterprises ------------------------------------------------------------------------------------------------
@transaction.atomic
def enterprise_register(*, user, province, name: str, credit_code: str, contact: str = "") -> Enterprise:
    """An enterprise account registers itself; its home province's staff confirm it before it may apply."""
    if hasattr(user, "enterprise"):
        raise ValidationError(_("该账号已登记为申报企业。"))
    enterprise = Enterprise(user=user, province=province, name=name.strip(), credit_code=credit_code.strip().upper(),
                            contact=contact.strip())
    enterprise.full_clean()
    enterprise.save()
    return enterprise


@transaction.atomic
def enterprise_sign_up(*, province, name: str, credit_code: str, password: str, email: str = "",
                       contact: str = "") -> Enterprise:
    """An enterprise registers itself on the site: an account with a login name the hub assigns (so the answer
    tells a visitor nothing about which usernames exist) and a pending enterprise for its province to confirm."""
    import secrets

    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    User = get_user_model()
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    while True:
        username = f"ent-{province.code.lower()}-{''.join(secrets.choice(alphabet) for _i in range(6))}"
        if not User.objects.filter(username__iexact=username).exists():
            break
    user = User(username=username, email=email.strip(), first_name=name.strip()[:150])
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return enterprise_register(user=user, province=province, name=name, credit_code=credit_code, contact=contact)


@transaction.atomic
def enterprise_confirm(*, actor, enterprise_id: int) -> Enterprise:
    """The home province's staff confirm an enterprise account."""
    enterprise = get_object_or_404(Enterprise.objects.restrict(actor, "change").select_for_update(), pk=enterprise_id)
    if enterprise.status != Enterprise.Status.CONFIRMED:
        enterprise.status = Enterprise.Status.CONFIRMED
        enterprise.confirmed_by, enterprise.confirmed_at = actor, timezone.now()
        enterprise.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return enterprise


# --- programmes and rubric --------------------------------------------------------------------------------------
def _organised(actor, programme_id: int, action: str = "change") -> Programme:
    """The programme, locked, if the actor may ``action`` for its lead province; 404 otherwise."""
    return get_object_or_404(Programme.objects.restrict(actor, action).select_for_update(), pk=programme_id)


@transaction.atomic
def programme_create(*, actor, province, co_organisers=(), **fields) -> Programme:
    """A province's staff create a programme (a draft); co-organisers make it joint."""
    permissions.require(actor, "change", province)
    programme = Programme(province=province, **fields)
    programme.full_clean()
    programme.save()
    others = [p for p in co_organisers if p.pk != province.pk]
    programme.co_organisers.set(others)
    log(instance=programme, action="sharing.evaluation.create", user=actor)
    return programme


#: The timeline, in order: (field, is a date rather than a moment).
TIMELINE_FIELDS = (("apply_opens", True), ("apply_closes", False), ("check_closes", True),
                   ("review_closes", False), ("announce_closes", False), ("publish_on", True))
#: What the programme form sets besides the lead province (the co-organisers are passed apart).
EDITABLE_FIELDS = ("title", "kind", "summary", "eligibility", "aggregation", "disagreement_points", "panel_size",
                   "reserves", "cap_per_province", "cap_per_employer", "avoid_applicant_province") + tuple(
    name for name, _is_date in TIMELINE_FIELDS)


def _passed(value, is_date: bool, now) -> bool:
    return value < timezone.localdate(now) if is_date else value < now


def _back_to_draft(programme: Programme, actor, what: str) -> bool:
    """A joint programme awaiting sign-off that changes goes back to draft and loses its sign-offs: the
    co-organisers approved another text, so the lead resubmits and each signs off again. True if it did."""
    if programme.stage != Stage.SIGNOFF:
        return False
    dropped = list(programme.signoffs.values_list("province__code", flat=True))
    programme.signoffs.all().delete()
    programme.stage = Stage.DRAFT
    programme.save(update_fields=["stage"])
    log(instance=programme, action="sharing.evaluation.signoff_reset", user=actor,
        data={"changed": what, "signoffs_cleared": dropped})
    return True


@transaction.atomic
def programme_update(*, actor, programme_id: int, co_organisers=None, now=None, **fields) -> Programme:
    """The lead province's staff edit a programme. Before it opens (草稿, 待会签) every field and the co-organisers
    may change; a programme awaiting sign-off goes back to draft and its sign-offs are cleared. Once open only the
    timeline may change, and only dates that have not passed, to dates that have not passed; a published programme
    is final. The lead province itself never changes."""
    now = now or timezone.now()
    programme = _organised(actor, programme_id)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(names)s。") % {"names": "、".join(sorted(unknown))})
    changed = [name for name, value in fields.items() if getattr(programme, name) != value]
    partners = None
    if co_organisers is not None:
        partners = {p.pk for p in co_organisers if p.pk != programme.province_id}
        if partners == set(programme.co_organisers.values_list("pk", flat=True)):
            partners = None
    if not changed and partners is None:
        return programme
    if programme.stage == Stage.PUBLISHED:
        raise ValidationError(_("结果已经发布，项目不能再修改。"))
    if programme.stage not in (Stage.DRAFT, Stage.SIGNOFF):
        dates = dict(TIMELINE_FIELDS)
        if partners is not None or any(name not in dates for name in changed):
            raise ValidationError(_("项目已开放申报，只能修改尚未到期的时间安排；名称、申报条件、计分方法、"
                                    "评审组设置和联合主办方不能再改。"))
        for name in changed:
            label = Programme._meta.get_field(name).verbose_name
            if _passed(getattr(programme, name), dates[name], now):
                raise ValidationError({name: _("“%(label)s”已经过去，不能再修改。") % {"label": label}})
            if _passed(fields[name], dates[name], now):
                raise ValidationError({name: _("“%(label)s”不能改到已经过去的时间。") % {"label": label}})
    for name in changed:
        setattr(programme, name, fields[name])
    programme.full_clean()
    programme.save()
    if partners is not None:
        programme.co_organisers.set(partners)
    log(instance=programme, action="sharing.evaluation.edit", user=actor,
        data={"fields": changed, "co_organisers": sorted(partners) if partners is not None else None})
    _back_to_draft(programme, actor, "programme")
    return programme


RUBRIC_FROZEN = _("评分已经开始，评价准则已冻结，不能再修改。")


def _rubric_editable(actor, programme_id: int) -> Programme:
    programme = _organised(actor, programme_id)
    if programme.rubric_frozen_at is not None:
        raise ValidationError(RUBRIC_FROZEN)
    return programme


@transaction.atomic
def criterion_save(*, actor, programme_id: int, criterion_id: int | None = None, **fields) -> Criterion:
    """Add or change a rubric criterion; each change makes a new rubric version; refused once scoring started."""
    programme = _rubric_editable(actor, programme_id)
    criterion = Criterion(programme=programme) if criterion_id is None else get_object_or_404(
        programme.criteria, pk=criterion_id)
    for name, value in fields.items():
        setattr(criterion, name, value)
    criterion.full_clean()
    criterion.save()
    programme.rubric_version += 1
    programme.save(update_fields=["rubric_version"])
    _back_to_draft(programme, actor, "rubric")
    return criterion


@transaction.atomic
def criterion_delete(*, actor, programme_id: int, criterion_id: int) -> None:
    """Remove a rubric criterion (a new rubric version); refused once scoring started."""
    programme = _rubric_editable(actor, programme_id)
    criterion = get_object_or_404(programme.criteria, pk=criterion_id)
    criterion.delete()
    programme.rubric_version += 1
    programme.save(update_fields=["rubric_version"])
    log(instance=programme, action="sharing.evaluation.criterion_delete", user=actor,
        data={"criterion": criterion_id, "name": criterion.name, "rubric_version": programme.rubric_version})
    _back_to_draft(programme, actor, "rubric")


@transaction.atomic
def level_save(*, actor, programme_id: int, name: str, min_total, awarded: bool = True,
               level_id: int | None = None) -> ResultLevel:
    """Add or change a result level (一等, 通过, ★★★…) with the lowest total that reaches it; refused once scoring
    started, like the criteria, so that every result is judged against the levels the reviewers saw."""
    programme = _rubric_editable(actor, programme_id)
    level = ResultLevel(programme=programme) if level_id is None else get_object_or_404(programme.levels,
                                                                                         pk=level_id)
    level.name, level.min_total, level.awarded = name.strip(), min_total, awarded
    level.full_clean()
    level.save()
    _back_to_draft(programme, actor, "levels")
    return level


@transaction.atomic
def level_delete(*, actor, programme_id: int, level_id: int) -> None:
    """Remove a result level; refused once scoring started."""
    programme = _rubric_editable(actor, programme_id)
    get_object_or_404(programme.levels, pk=level_id).delete()
    _back_to_draft(programme, actor, "levels")


@transaction.atomic
def programme_submit(*, actor, programme_id: int) -> Programme:
    """The lead asks the co-organisers to sign off (a joint programme) or opens it at once (a provincial one)."""
    programme = _organised(actor, programme_id, "publish")
    if programme.stage != Stage.DRAFT:
        raise ValidationError(_("只有草稿状态的项目可以提交。"))
    if not programme.criteria.exists() or not programme.levels.exists():
        raise ValidationError(_("请先设置评价准则和结果等级。"))
    programme.stage = Stage.SIGNOFF if programme.co_organisers.exists() else Stage.OPEN
    programme.save(update_fields=["stage"])
    return programme


@transaction.atomic
def programme_signoff(*, actor, programme_id: int, province) -> Programme:
    """A co-organising province's moderators sign off; the programme opens when every co-organiser has."""
    programme = get_object_or_404(Programme.objects.select_for_update(), pk=programme_id)
    if not programme.co_organisers.filter(pk=province.pk).exists():
        raise PermissionDenied
    permissions.require(actor, "publish", province)
    if programme.stage != Stage.SIGNOFF:
        raise ValidationError(_("该项目当前不需要会签。"))
    Signoff.objects.get_or_create(programme=programme, province=province, defaults={"signed_by": actor})
    if programme.signoffs.count() >= programme.co_organisers.count():
        programme.stage = Stage.OPEN
        programme.save(update_fields=["stage"])
    return programme


_NEXT = {Stage.OPEN: Stage.CHECK, Stage.CHECK: Stage.REVIEW}


@transaction.atomic
def programme_advance(*, actor, programme_id: int) -> Programme:
    """The lead moves the programme from 申报 to 形式审查 to 评审 (announcement and publication have their own
    services)."""
    programme = _organised(actor, programme_id, "publish")
    if programme.stage not in _NEXT:
        raise ValidationError(_("该阶段不能直接进入下一阶段。"))
    programme.stage = _NEXT[programme.stage]
    programme.save(update_fields=["stage"])
    return programme


# --- applications -----------------------------------------------------------------------------------------------
def _own_application(actor, application_id: int) -> Application:
    return get_object_or_404(Application.objects.of_applicant(actor).select_for_update(), pk=application_id)


@transaction.atomic
def application_save(*, actor, programme_id: int, application_id: int | None = None, title: str, summary: str,
                     employer_names: str = "") -> Application:
    """An enterprise saves its application as a draft (a returned one may be corrected)."""
    enterprise = getattr(actor, "enterprise", None) if actor.is_authenticated else None
    if enterprise is None or enterprise.status != Enterprise.Status.CONFIRMED:
        raise PermissionDenied(_("只有经所在省市协会确认的企业账号可以申报。"))
    if application_id is None:
        programme = get_object_or_404(Programme.objects.public(), pk=programme_id)
        application = Application(programme=programme, enterprise=enterprise, province=enterprise.province)
    else:
        application = _own_application(actor, application_id)
        if application.is_locked:
            raise ValidationError(_("申报已提交，不能再修改。"))
    application.title, application.summary, application.employer_names = title.strip(), summary.strip(), \
        employer_names.strip()
    application.full_clean()
    application.save()
    return application


@transaction.atomic
def application_submit(*, actor, application_id: int, now=None) -> Application:
    """Submission locks the application and issues a receipt; after the deadline it is refused."""
    now = now or timezone.now()
    application = _own_application(actor, application_id)
    programme = application.programme
    if application.is_locked:
        raise ValidationError(_("申报已提交。"))
    if programme.stage != Stage.OPEN and application.status != Application.Status.RETURNED:
        raise ValidationError(_("该项目当前不接受申报。"))
    if now > programme.apply_closes and application.status != Application.Status.RETURNED:
        raise ValidationError(_("申报已于 %(deadline)s 截止，不能再提交。") % {
            "deadline": timezone.localtime(programme.apply_closes).strftime("%Y-%m-%d %H:%M")})
    application.status = Application.Status.SUBMITTED
    application.submitted_at = now
    if not application.receipt:
        application.receipt = "SB" + new_code(10)
    application.save(update_fields=["status", "submitted_at", "receipt"])
    return application


@transaction.atomic
def application_check(*, actor, application_id: int, decision: str, reason: str = "") -> Application:
    """形式审查 by the applicant's home province: accept, reject with a reason, or return once for correction."""
    application = get_object_or_404(
        Application.objects.filter(province__in=permissions.province_ids_for(actor, "change"))
        .select_for_update(), pk=application_id)
    if application.status != Application.Status.SUBMITTED:
        raise ValidationError(_("只有已提交的申报可以审查。"))
    reason = reason.strip()
    if decision in ("reject", "return") and not reason:
        raise ValidationError(_("不通过或退回修改须写明理由，申报企业会看到。"))
    if decision == "return":
        if application.returned_once:
            raise ValidationError(_("每份申报只能退回修改一次。"))
        application.status, application.returned_once = Application.Status.RETURNED, True
    elif decision == "accept":
        application.status = Application.Status.ACCEPTED
    elif decision == "reject":
        application.status = Application.Status.REJECTED
    else:
        raise ValidationError(_("未知的审查结论。"))
    application.check_reason, application.checked_by, application.checked_at = reason, actor, timezone.now()
    application.save()
    return application


MAX_ATTACHMENTS = 10


@transaction.atomic
def attachment_add(*, actor, application_id: int, file, title: str = "") -> ApplicationAttachment:
    """The applicant attaches a file to an unsubmitted application: the upload rules of every document (extension,
    size, content matching the extension, no markup) apply, and the file goes into the applicant province's
    collection, where only the read rule for applications lets anyone download it."""
    from django.conf import settings
    from wagtail.documents import get_document_model

    from hub.services.provisioning import province_collection
    from hub.uploads import check_document_content

    application = _own_application(actor, application_id)
    if application.is_locked:
        raise ValidationError(_("申报已提交，不能再修改附件。"))
    if application.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError(_("每份申报最多上传 %(n)s 个附件。") % {"n": MAX_ATTACHMENTS})
    name = (getattr(file, "name", "") or "").rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in settings.WAGTAILDOCS_EXTENSIONS:
        raise ValidationError(_("不支持 .%(ext)s 文件。可上传 PDF、Office 文档、CSV/TXT 或常见图片。") % {"ext": ext})
    limit = settings.WAGTAILDOCS_MAX_UPLOAD_SIZE
    if file.size > limit:
        raise ValidationError(_("附件不能超过 %(mb)s MB。") % {"mb": limit // (1024 * 1024)})
    if file.size == 0:
        raise ValidationError(_("附件是空文件。"))
    check_document_content(file)
    collection = province_collection(application.province)
    if collection is None:
        raise ValidationError(_("所在省市尚未开通文件库，请联系协会。"))
    document = get_document_model()(title=(title.strip() or name)[:255], collection=collection,
                                    uploaded_by_user=actor)
    document.file.save(name, file, save=False)
    document._set_document_file_metadata()  # size and hash, as Wagtail's own upload view records them
    document.save()
    attachment = ApplicationAttachment.objects.create(application=application, document=document)
    return attachment


@transaction.atomic
def attachment_remove(*, actor, attachment_id: int) -> None:
    """The applicant removes an attachment (and its file) while the application is still editable."""
    attachment = get_object_or_404(ApplicationAttachment.objects.select_related("application", "document"),
                                   pk=attachment_id, application__enterprise__user=actor)
    _own_application(actor, attachment.application_id)  # locks the application row
    if attachment.application.is_locked:
        raise ValidationError(_("申报已提交，不能再修改附件。"))
    document = attachment.document
    attachment.delete()
    transaction.on_commit(lambda: document.file.delete(save=False))
    document.delete()


# --- the panel --------------------------------------------------------------------------------------------------
def draw_panel_ids(candidates: list[tuple[int, int, str]], seed: int, size: int, reserves: int,
                   cap_per_province: int, cap_per_employer: int) -> tuple[list[int], list[int]]:
    """(principals, reserves) from ``(expert id, province id, employer)`` candidates: a seeded shuffle of the
    candidates sorted by id, taken in order while the caps allow — replayable from (seed, candidates). Caps count
    principals and reserves together, so a reserve never shares an employer with a principal beyond the cap."""
    ordered = sorted(candidates)
    random.Random(seed).shuffle(ordered)
    by_province: dict[int, int] = {}
    by_employer: dict[str, int] = {}
    chosen: list[int] = []
    for expert_id, province_id, employer in ordered:
        key = employer.strip()
        if by_province.get(province_id, 0) >= cap_per_province or by_employer.get(key, 0) >= cap_per_employer:
            continue
        chosen.append(expert_id)
        by_province[province_id] = by_province.get(province_id, 0) + 1
        by_employer[key] = by_employer.get(key, 0) + 1
        if len(chosen) == size + reserves:
            break
    return chosen[:size], chosen[size:]


@transaction.atomic
def panel_draw(*, actor, programme_id: int, seed: int | None = None) -> PanelDraw:
    """Draw the panel from the active experts of the pool, avoiding the applicants' employers (and, when the
    programme asks, their provinces), within the caps per province and per employer; recorded and replayable."""
    from expert_pool.models import Expert

    programme = _organised(actor, programme_id, "coordinate")
    if hasattr(programme, "panel_draw"):
        raise ValidationError(_("评审组已经抽取。"))
    if programme.stage not in (Stage.CHECK, Stage.REVIEW):
        raise ValidationError(_("形式审查开始后才能抽取评审组。"))
    applications = list(programme.applications.filter(status=Application.Status.ACCEPTED).select_related("enterprise"))
    avoided_employers = set().union(*(a.avoided_employers() for a in applications)) if applications else set()
    avoided_provinces = {a.province_id for a in applications} if programme.avoid_applicant_province else set()
    candidates, excluded = [], {}
    for expert in Expert.objects.active().filter(user__isnull=False).only("pk", "province_id", "employer"):
        if expert.employer.strip() in avoided_employers:
            excluded[str(expert.pk)] = "employer"
        elif expert.province_id in avoided_provinces:
            excluded[str(expert.pk)] = "province"
        else:
            candidates.append((expert.pk, expert.province_id, expert.employer))
    seed = secrets.randbits(62) if seed is None else seed
    principals, reserves = draw_panel_ids(candidates, seed, programme.panel_size, programme.reserves,
                                          programme.cap_per_province, programme.cap_per_employer)
    if len(principals) < programme.panel_size:
        raise ValidationError(_("符合回避和人数上限要求的专家只有 %(n)s 位，不足评审组所需的 %(size)s 位。") % {
            "n": len(principals), "size": programme.panel_size})
    draw = PanelDraw.objects.create(programme=programme, seed=seed, candidate_ids=candidates, excluded=excluded,
                                    drawn_by=actor)
    for order, expert_id in enumerate(principals):
        Seat.objects.create(programme=programme, expert_id=expert_id, role=Seat.Role.PRINCIPAL, order=order)
    for order, expert_id in enumerate(reserves):
        Seat.objects.create(programme=programme, expert_id=expert_id, role=Seat.Role.RESERVE, order=order)
    seats = list(programme.seats.filter(role=Seat.Role.PRINCIPAL))
    ScoreSheet.objects.bulk_create(ScoreSheet(application=a, seat=s) for a in applications for s in seats)
    log(instance=programme, action="sharing.evaluation.draw", user=actor,
        data={"seed": seed, "principals": principals, "reserves": reserves})
    return draw


def panel_replay(draw: PanelDraw) -> tuple[list[int], list[int]]:
    programme = draw.programme
    return draw_panel_ids([tuple(c) for c in draw.candidate_ids], draw.seed, programme.panel_size,
                          programme.reserves, programme.cap_per_province, programme.cap_per_employer)


def _reviewer_sheet(actor, sheet_id: int) -> ScoreSheet:
    """The actor's own sheet, locked; anybody else's is a 404."""
    return get_object_or_404(ScoreSheet.objects.select_for_update().select_related("application__programme", "seat"),
                             pk=sheet_id, seat__expert__user=actor, seat__expert__user__is_active=True)


@transaction.atomic
def sheet_declare(*, actor, sheet_id: int, conflict: bool, note: str = "") -> ScoreSheet:
    """Before seeing an application the reviewer declares conflicts of interest; a conflict recuses them and the
    next unused reserve gets a sheet for that application. Scoring starting freezes the rubric."""
    sheet = _reviewer_sheet(actor, sheet_id)
    if sheet.status != ScoreSheet.Status.PENDING:
        raise ValidationError(_("已经声明过利益冲突。"))
    sheet.declared_at = timezone.now()
    sheet.conflict_note = note.strip()
    if conflict:
        if not sheet.conflict_note:
            raise ValidationError(_("请说明利益冲突的情况。"))
        sheet.status = ScoreSheet.Status.RECUSED
        sheet.save()
        used = sheet.application.sheets.values("seat_id")
        reserve = sheet.application.programme.seats.filter(role=Seat.Role.RESERVE).exclude(pk__in=used) \
            .order_by("order").first()
        if reserve is not None:
            ScoreSheet.objects.create(application=sheet.application, seat=reserve)
        log(instance=sheet.application.programme, action="sharing.evaluation.recuse", user=actor,
            data={"application": sheet.application_id, "reserve": reserve.expert_id if reserve else None})
        return sheet
    sheet.status = ScoreSheet.Status.SCORING
    sheet.save()
    programme = Programme.objects.select_for_update().get(pk=sheet.application.programme_id)
    if programme.rubric_frozen_at is None:
        programme.rubric_frozen_at = timezone.now()
        programme.save(update_fields=["rubric_frozen_at"])
    return sheet


def _points(value, criterion: Criterion) -> Decimal:
    try:
        points = Decimal(str(value).strip()).quantize(TWO)
    except (decimal.InvalidOperation, ValueError):
        raise ValidationError(_("“%(name)s”的得分不是数字。") % {"name": criterion.name}) from None
    if points < 0 or points > criterion.max_points:
        raise ValidationError(_("“%(name)s”的得分应在 0 到 %(max)s 分之间。") % {
            "name": criterion.name, "max": format(criterion.max_points.normalize(), "f")})
    return points


@transaction.atomic
def sheet_submit(*, actor, sheet_id: int, scores: dict[int, tuple], now=None) -> ScoreSheet:
    """A reviewer submits points and comments for every criterion; submitted sheets are immutable."""
    now = now or timezone.now()
    sheet = _reviewer_sheet(actor, sheet_id)
    programme = sheet.application.programme
    if sheet.status == ScoreSheet.Status.PENDING:
        raise ValidationError(_("请先声明利益冲突，再评分。"))
    if sheet.status != ScoreSheet.Status.SCORING:
        raise ValidationError(_("该评分表已提交或已回避，不能再修改。"))
    if programme.stage != Stage.REVIEW:
        raise ValidationError(_("项目不在评审阶段。"))
    if now > programme.review_closes:
        raise ValidationError(_("评审已于 %(deadline)s 截止。") % {
            "deadline": timezone.localtime(programme.review_closes).strftime("%Y-%m-%d %H:%M")})
    criteria = list(programme.criteria.all())
    missing = [c.name for c in criteria if c.pk not in scores]
    if missing:
        raise ValidationError(_("以下评价项尚未评分：%(names)s。") % {"names": "、".join(missing)})
    rows = [Score(sheet=sheet, criterion=c, points=_points(scores[c.pk][0], c),
                  comment=(scores[c.pk][1] if len(scores[c.pk]) > 1 else "") or "") for c in criteria]
    sheet.scores.all().delete()
    Score.objects.bulk_create(rows)
    sheet.status, sheet.submitted_at, sheet.rubric_version = ScoreSheet.Status.SUBMITTED, now, programme.rubric_version
    sheet.save(update_fields=["status", "submitted_at", "rubric_version"])
    return sheet


@transaction.atomic
def sheet_reopen(*, actor, sheet_id: int, reason: str) -> ScoreSheet:
    """The organiser reopens a submitted sheet with a reason (audited); the reviewer may then score again."""
    sheet = get_object_or_404(ScoreSheet.objects.select_for_update().select_related("application__programme"),
                              pk=sheet_id)
    programme = sheet.application.programme
    permissions.require(actor, "publish", programme.province)
    if sheet.status != ScoreSheet.Status.SUBMITTED:
        raise ValidationError(_("只有已提交的评分表可以退回重评。"))
    if not reason.strip():
        raise ValidationError(_("退回重评须写明理由。"))
    if programme.stage != Stage.REVIEW:
        raise ValidationError(_("项目不在评审阶段。"))
    sheet.status, sheet.reopened_reason = ScoreSheet.Status.SCORING, reason.strip()
    sheet.save(update_fields=["status", "reopened_reason"])
    log(instance=programme, action="sharing.evaluation.reopen", user=actor,
        data={"sheet": sheet.pk, "application": sheet.application_id, "reason": reason.strip()})
    return sheet


# --- aggregation and results ------------------------------------------------------------------------------------
def sheet_total(scores) -> Decimal:
    """The weighted total of one sheet: Σ points × weight."""
    return sum((s.points * s.criterion.weight for s in scores), Decimal(0)).quantize(TWO)


def aggregate(method: str, totals: list[Decimal], consensus: Decimal | None = None) -> Decimal | None:
    """The application's total by the programme's declared method, from the submitted sheets' totals alone."""
    if method == Programme.Aggregation.CONSENSUS:
        return consensus
    if not totals:
        return None
    values = sorted(totals)
    if method == Programme.Aggregation.TRIMMED and len(values) >= 5:
        values = values[1:-1]
    return (sum(values, Decimal(0)) / len(values)).quantize(TWO, rounding=decimal.ROUND_HALF_UP)


@transaction.atomic
def consensus_record(*, actor, application_id: int, total) -> Application:
    """The organiser records the consensus total agreed in a consensus session (合议)."""
    application = get_object_or_404(Application.objects.select_for_update().select_related("programme"),
                                     pk=application_id)
    permissions.require(actor, "publish", application.programme.province)
    try:
        value = Decimal(str(total)).quantize(TWO)
    except decimal.InvalidOperation:
        raise ValidationError(_("合议总分不是数字。")) from None
    if value < 0 or value > application.programme.full_score:
        raise ValidationError(_("合议总分应在 0 到满分之间。"))
    application.consensus_total = value
    application.save(update_fields=["consensus_total"])
    log(instance=application.programme, action="sharing.evaluation.consensus", user=actor,
        data={"application": application.pk, "total": str(value)})
    return application


@transaction.atomic
def consensus_session_schedule(*, actor, programme_id: int, starts_at, place: str = "", online_link: str = ""):
    """The lead schedules the consensus session (合议) as a roundtable meeting hosted by the lead province: the
    panel's reviewers (those who scored, not those recused from everything) take part as editors of the live notes,
    and each application whose reviewers disagree beyond the threshold is on the agenda. One session per programme;
    the programme row lock makes a second, concurrent request wait and then refuse."""
    from hub.meetings import services as meetings
    from sharing import evaluation_selectors as sel

    programme = _organised(actor, programme_id, "publish")
    if programme.stage != Stage.REVIEW:
        raise ValidationError(_("项目不在评审阶段。"))
    if programme.consensus_meeting_id is not None:
        raise ValidationError(_("合议会议已经安排。"))
    flagged = [row for row in sel.progress(programme) if row.disagrees(programme.disagreement_points)]
    if not flagged and programme.aggregation != Programme.Aggregation.CONSENSUS:
        raise ValidationError(_("没有评审分歧超过阈值的申报，无需合议。"))
    if starts_at is None:
        raise ValidationError(_("请填写合议会议的开始时间。"))
    reviewers = list(sel.panel_users(programme))
    if not reviewers:
        raise ValidationError(_("评审组尚未抽取。"))
    rows = flagged or sel.progress(programme)
    agenda = [_("合议：%(title)s（%(enterprise)s，评审总分极差 %(spread)s 分）") % {
        "title": row.application.title, "enterprise": row.application.enterprise.name,
        "spread": row.spread if row.spread is not None else "—"} for row in rows]
    meeting = meetings.meeting_create(
        actor=actor, title=_("%(title)s 合议会") % {"title": programme.title}, host=programme.province,
        starts_at=starts_at, place=place.strip(), online_link=online_link.strip(), agenda=agenda,
        participants=[(user, "editor") for user in reviewers], carry_items=False)
    programme.consensus_meeting = meeting
    programme.save(update_fields=["consensus_meeting"])
    log(instance=programme, action="sharing.evaluation.consensus_session", user=actor,
        data={"meeting": meeting.pk, "applications": [row.application.pk for row in rows]})
    return meeting


@transaction.atomic
def results_announce(*, actor, programme_id: int) -> list[Result]:
    """Close the review: every accepted application gets its total and level, announced (公示) for objections.
    Refused while any sheet is unsubmitted or a consensus total is missing."""
    from sharing import evaluation_selectors as sel

    programme = _organised(actor, programme_id, "publish")
    if programme.stage != Stage.REVIEW:
        raise ValidationError(_("项目不在评审阶段。"))
    rows = sel.progress(programme)
    open_sheets = sum(row.pending for row in rows)
    if open_sheets:
        raise ValidationError(_("还有 %(n)s 份评分表未提交，不能公示。") % {"n": open_sheets})
    levels = list(programme.levels.all())
    now = timezone.now()
    results = []
    for row in rows:
        if row.total is None:
            raise ValidationError(_("“%(title)s”尚无总分（合议评分须先录入合议总分）。") % {"title": row.application.title})
        level = next((lv for lv in levels if row.total >= lv.min_total), None)
        results.append(Result(application=row.application, total=row.total, level=level, code=new_code(),
                              announced_at=now))
    Result.objects.bulk_create(results)
    programme.stage = Stage.ANNOUNCE
    programme.save(update_fields=["stage"])
    log(instance=programme, action="sharing.evaluation.announce", user=actor, data={"results": len(results)})
    return results


@transaction.atomic
def objection_file(*, result_id: int, name: str, contact: str, text: str, now=None) -> Objection:
    """Anyone may object to an announced result before the announcement closes."""
    now = now or timezone.now()
    result = get_object_or_404(Result.objects.public().select_related("application__programme"), pk=result_id)
    if result.status != Result.Status.ANNOUNCED or now > result.application.programme.announce_closes:
        raise ValidationError(_("公示期已结束，不再受理异议。"))
    objection = Objection(result=result, name=name.strip(), contact=contact.strip(), text=text.strip())
    objection.full_clean()
    objection.save()
    return objection


@transaction.atomic
def results_publish(*, actor, programme_id: int, now=None) -> Programme:
    """After the announcement closes the lead publishes the results; awarded ones become certificates."""
    now = now or timezone.now()
    programme = _organised(actor, programme_id, "publish")
    if programme.stage != Stage.ANNOUNCE:
        raise ValidationError(_("结果尚未公示。"))
    if now < programme.announce_closes:
        raise ValidationError(_("公示期至 %(deadline)s 结束，之后才能发布。") % {
            "deadline": timezone.localtime(programme.announce_closes).strftime("%Y-%m-%d %H:%M")})
    Result.objects.filter(application__programme=programme, status=Result.Status.ANNOUNCED).update(
        status=Result.Status.PUBLISHED, published_at=now)
    programme.stage = Stage.PUBLISHED
    programme.save(update_fields=["stage"])
    log(instance=programme, action="sharing.evaluation.publish", user=actor)
    return programme


@transaction.atomic
def result_revoke(*, actor, result_id: int, reason: str) -> Result:
    """The lead revokes a result with a reason; its certificate then says so when verified."""
    result = get_object_or_404(Result.objects.select_for_update().select_related("application__programme"),
                               pk=result_id)
    permissions.require(actor, "publish", result.application.programme.province)
    if result.status == Result.Status.REVOKED:
        raise ValidationError(_("该结果已撤销。"))
    if not reason.strip():
        raise ValidationError(_("撤销须写明原因。"))
    result.status, result.revoked_at, result.revoke_reason = Result.Status.REVOKED, timezone.now(), reason.strip()
    result.save(update_fields=["status", "revoked_at", "revoke_reason"])
    log(instance=result.application.programme, action="sharing.evaluation.revoke", user=actor,
        data={"result": result.pk, "reason": reason.strip()})
    return result


def applications_export(*, actor, programme_id: int) -> bytes:
    """The organiser's XLSX of a programme's applications and submitted scores, through the hub's one formula guard;
    it names enterprises' contact people, so each export is written to the audit log."""
    from hub import spreadsheets
    from sharing import evaluation_selectors as sel

    programme = get_object_or_404(Programme.objects.organised_by(actor, "view"), pk=programme_id)
    sheets = sel.export_sheets(programme)
    content = spreadsheets.xlsx_bytes(sheets)
    spreadsheets.audit_export(actor=actor, instance=programme, action="sharing.evaluation.export",
                              what="applications and scores", count=len(sheets[0].rows))
    return content


# --- recognition of results -------------------------------------------------------------------------------------
@transaction.atomic
def recognition_decide(*, actor, programme_id: int, province, outcome: str, rationale: str,
                       equivalent_to_id: int | None = None, conditions: str = "", evidence_url: str = ""
                       ) -> ResultRecognition:
    """A province's reviewers decide on another province's programme; a newer decision supersedes the current one,
    which is never edited."""
    permissions.require(actor, "review", province)
    programme = get_object_or_404(Programme.objects.public(), pk=programme_id)
    if programme.province_id == province.pk:
        raise ValidationError(_("不能认可本省自己的评价项目。"))
    equivalent = None
    if equivalent_to_id:
        equivalent = get_object_or_404(Programme.objects.filter(province=province), pk=equivalent_to_id)
    if outcome == ResultRecognition.Outcome.EQUIVALENT and equivalent is None:
        raise ValidationError(_("等同认可须指明视同的本省评价项目。"))
    current = ResultRecognition.objects.select_for_update().filter(
        programme=programme, province=province, is_current=True).first()
    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    decision = ResultRecognition(programme=programme, province=province, outcome=outcome, rationale=rationale.strip(),
                                 equivalent_to=equivalent, conditions=conditions.strip(),
                                 evidence_url=evidence_url.strip(), decided_by=actor, supersedes=current)
    decision.full_clean()
    try:
        with transaction.atomic():
            decision.save()
    except IntegrityError:
        raise ValidationError(_("该省对此项目已有现行决定，请刷新后再试。")) from None
    return decision
