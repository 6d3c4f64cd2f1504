"""Group standards (团体标准), their mutual recognition by the other member provinces, and public comment."""
from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    Task,
    TaskState,
    WorkflowMixin,
)
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

from hub.permissions import ProvinceScopedQuerySet, can, province_ids_for

#: T/<association code> <sequence>—<year>; an ASCII hyphen or en dash is accepted and stored as the em dash.
NUMBER_RE = re.compile(r"^T/(?P<code>[A-Z]{2,12})\s*(?P<sequence>\d{1,5})\s*[—–\-－]\s*(?P<year>(19|20)\d{2})$")
NUMBER_IN_TEXT_RE = re.compile(r"T/[A-Z]{2,12}\s?\d{1,5}\s?[—–\-－]\s?(?:19|20)\d{2}")
ICS_RE = re.compile(r"^\d{2}(\.\d{3}(\.\d{2})?)?$")
CCS_RE = re.compile(r"^[A-Z]\d{2}$")


def normalise_number(value: str) -> str:
    """The canonical spelling of a standard number, or the input unchanged when it is not one."""
    if value is None:
        return value
    text = re.sub(r"\s+", " ", str(value).strip()).upper().replace("Ｔ", "T").replace("／", "/")
    match = NUMBER_RE.match(text)
    if not match:
        return str(value).strip()
    return f"T/{match['code']} {match['sequence']}—{match['year']}"


def parse_number(value: str) -> dict | None:
    match = NUMBER_RE.match(normalise_number(value) or "")
    if not match:
        return None
    return {"code": match["code"], "sequence": int(match["sequence"]), "year": int(match["year"])}


def validate_number(value: str) -> None:
    if parse_number(value) is None:
        raise ValidationError(_("标准编号格式应为 T/代号 顺序号—年份，例如 T/SAQ 12—2024。"), code="number_format")


def normalise_ics(value: str) -> str:
    codes = [c for c in re.split(r"[\s,，;；、]+", (value or "").strip()) if c]
    return ", ".join(dict.fromkeys(codes))


def validate_ics(value: str) -> None:
    codes = [c for c in normalise_ics(value).split(", ") if c]
    if not codes:
        raise ValidationError(_("至少填写一个 ICS 分类号，例如 03.120.10。"), code="ics_missing")
    bad = [c for c in codes if not ICS_RE.match(c)]
    if bad:
        raise ValidationError(_("ICS 分类号格式不正确：%(codes)s（应为 03、03.120 或 03.120.10 的形式）。"),
                              code="ics_format", params={"codes": "、".join(bad)})


def validate_ccs(value: str) -> None:
    if value and not CCS_RE.match(value):
        raise ValidationError(_("CCS 分类号格式应为一个大写字母加两位数字，例如 A00。"), code="ccs_format")


class StandardNumberField(models.CharField):
    """Stores the canonical spelling, so that a hyphen typed in a form or a spreadsheet finds the same row."""

    def to_python(self, value):
        return normalise_number(super().to_python(value))

    def get_prep_value(self, value):
        return normalise_number(super().get_prep_value(value))


class ICSCodesField(models.CharField):
    def to_python(self, value):
        return normalise_ics(super().to_python(value))


class Status(models.TextChoices):
    DRAFTING = "drafting", _("立项")
    COMMENT = "comment", _("征求意见")
    PUBLISHED = "published", _("发布")
    IN_FORCE = "in_force", _("实施")
    REVIEW = "review", _("复审")
    REVISED = "revised", _("修订")
    WITHDRAWN = "withdrawn", _("废止")


#: Statuses in which a standard is valid and can be recognised.
RECOGNISABLE = (Status.PUBLISHED, Status.IN_FORCE, Status.REVIEW)
#: Statuses in which a standard is no longer valid: its recognitions lapse.
ENDED = (Status.REVISED, Status.WITHDRAWN)
#: Statuses that require a publication date.
AFTER_PUBLICATION = (Status.PUBLISHED, Status.IN_FORCE, Status.REVIEW, Status.REVISED, Status.WITHDRAWN)


class GroupStandardQuerySet(SearchableQuerySetMixin, ProvinceScopedQuerySet):
    def public(self):
        """What the public registry shows: live records past drafting."""
        return self.filter(live=True).exclude(status=Status.DRAFTING)


class GroupStandard(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, index.Indexed, models.Model):
    """A group standard issued by one province's association; only the issuing province edits it, its number
    is unique and names that association, and implementation never precedes publication."""

    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="group_standards",
                                 verbose_name=_("发布省市"))
    number = StandardNumberField(_("标准编号"), max_length=40, unique=True, validators=[validate_number],
                                 help_text=_("例如 T/SAQ 12—2024；输入半角连字符“-”也可以，保存为“—”。"))
    sequence = models.PositiveIntegerField(_("顺序号"), editable=False, default=0)
    year = models.PositiveSmallIntegerField(_("年份"), editable=False, default=0)
    title_zh = models.CharField(_("中文名称"), max_length=200)
    title_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    ics_codes = ICSCodesField(_("ICS 分类号"), max_length=120, validators=[validate_ics],
                              help_text=_("一个或多个，用逗号分隔，例如 03.120.10"))
    ccs_code = models.CharField(_("CCS 分类号"), max_length=8, blank=True, validators=[validate_ccs])
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFTING)
    approved_on = models.DateField(_("立项日期"), null=True, blank=True)
    comment_deadline = models.DateField(_("征求意见截止日期"), null=True, blank=True)
    publication_date = models.DateField(_("发布日期"), null=True, blank=True)
    implementation_date = models.DateField(_("实施日期"), null=True, blank=True)
    withdrawal_date = models.DateField(_("废止日期"), null=True, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="replaces", verbose_name=_("被代替为"))
    scope = models.TextField(_("适用范围"), blank=True)
    drafting_organisations = models.TextField(_("起草单位"), blank=True, help_text=_("每行一个单位"))
    full_text = models.ForeignKey("wagtaildocs.Document", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("全文（PDF）"))
    text_public = models.BooleanField(_("全文公开"), default=True,
                                      help_text=_("不公开的全文只有圆桌会议各方工作人员可以下载。"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GroupStandardQuerySet.as_manager()

    search_fields = [
        index.SearchField("number", boost=3),
        index.SearchField("title_zh", boost=2),
        index.SearchField("title_en"),
        index.SearchField("scope"),
        index.SearchField("drafting_organisations"),
        index.AutocompleteField("title_zh"),
        index.FilterField("province"),
        index.FilterField("status"),
        index.FilterField("live"),
        index.FilterField("year"),
    ]

    class Meta:
        ordering = ["-year", "province__order", "sequence"]
        verbose_name = _("团体标准")
        verbose_name_plural = _("团体标准")
        default_permissions = ("add", "change", "delete", "view")
        constraints = [
            models.CheckConstraint(
                condition=Q(implementation_date__isnull=True) | Q(publication_date__isnull=True)
                | Q(implementation_date__gte=F("publication_date")),
                name="standard_implementation_not_before_publication",
                violation_error_message=_("实施日期不能早于发布日期。"),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title_zh}"

    @property
    def title(self) -> str:
        """The name in the visitor's language: the English name on the English site where the issuer gave one."""
        from django.conf import settings
        from django.utils import translation

        if self.title_en and translation.get_language() != settings.LANGUAGE_CODE:
            return self.title_en
        return self.title_zh

    def get_absolute_url(self):
        return reverse("standards:detail", args=[self.pk])

    @property
    def association(self):
        return self.province.association

    @property
    def ics_list(self) -> list[str]:
        return [c for c in self.ics_codes.split(", ") if c]

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED or self.replaced_by_id is not None

    @property
    def is_recognisable(self) -> bool:
        return self.status in RECOGNISABLE and self.replaced_by_id is None

    @property
    def drafting_organisation_list(self) -> list[str]:
        return [line.strip() for line in self.drafting_organisations.splitlines() if line.strip()]

    def clean(self):
        errors = {}
        parsed = parse_number(self.number or "")
        if parsed:
            self.sequence, self.year = parsed["sequence"], parsed["year"]
            if self.province_id:
                association = getattr(self.province, "association", None)
                code = association.standards_code if association else None
                if code and parsed["code"] != code:
                    errors["number"] = _("编号中的代号 %(given)s 与发布协会的代号 T/%(code)s 不一致。") % {
                        "given": parsed["code"], "code": code}
        if self.publication_date and self.implementation_date and self.implementation_date < self.publication_date:
            errors["implementation_date"] = _("实施日期不能早于发布日期。")
        if self.status in AFTER_PUBLICATION and not self.publication_date:
            errors["publication_date"] = _("已发布的标准须填写发布日期。")
        if self.status == Status.IN_FORCE and not self.implementation_date:
            errors["implementation_date"] = _("实施中的标准须填写实施日期。")
        if self.status == Status.WITHDRAWN and not self.withdrawal_date:
            errors["withdrawal_date"] = _("废止的标准须填写废止日期。")
        if self.withdrawal_date and self.status != Status.WITHDRAWN:
            errors["withdrawal_date"] = _("只有废止的标准才填写废止日期。")
        if self.withdrawal_date and self.publication_date and self.withdrawal_date < self.publication_date:
            errors["withdrawal_date"] = _("废止日期不能早于发布日期。")
        if self.replaced_by_id and self.replaced_by_id == self.pk:
            errors["replaced_by"] = _("标准不能被自身代替。")
        if self.status == Status.REVISED and not self.replaced_by_id:
            errors["replaced_by"] = _("修订的标准须指明代替它的新标准。")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        parsed = parse_number(self.number or "")
        if parsed:
            self.sequence, self.year = parsed["sequence"], parsed["year"]
        super().save(*args, **kwargs)


class RecognitionProposal(models.Model):
    """The issuing province asks one other member province to recognise one standard; at most one per pair."""

    standard = models.ForeignKey(GroupStandard, on_delete=models.CASCADE, related_name="proposals",
                                 verbose_name=_("团体标准"))
    province = models.ForeignKey("hub.Province", on_delete=models.CASCADE, related_name="recognition_proposals",
                                 verbose_name=_("受邀认可的省市"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(_("提请时间"), auto_now_add=True)
    note = models.TextField(_("提请说明"), blank=True)

    #: Scoped by the recognising province: its reviewers see what they are asked to decide.
    objects = ProvinceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["standard", "province__order"]
        verbose_name = _("互认提请")
        verbose_name_plural = _("互认提请")
        constraints = [models.UniqueConstraint(fields=["standard", "province"], name="one_proposal_per_cell")]

    def __str__(self):
        return f"{self.standard.number} → {self.province}"


class Outcome(models.TextChoices):
    RECOGNISED = "recognised", _("认可")
    CONDITIONAL = "conditional", _("有条件认可")
    DECLINED = "declined", _("不予认可")


POSITIVE = (Outcome.RECOGNISED, Outcome.CONDITIONAL)


class RecognitionDecision(models.Model):
    """A recognising province's decision on another province's standard. Final decisions are never edited: a newer
    one supersedes the current one, so each (standard, province) cell has at most one current decision; a draft is
    seen only by its own province until it is finalised."""

    standard = models.ForeignKey(GroupStandard, on_delete=models.CASCADE, related_name="decisions",
                                 verbose_name=_("团体标准"))
    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="recognition_decisions",
                                 verbose_name=_("认可省市"))
    outcome = models.CharField(_("决定"), max_length=16, choices=Outcome.choices)
    conditions = models.TextField(_("认可条件"), blank=True)
    rationale = models.TextField(_("理由"))
    evidence_url = models.URLField(_("依据链接"), blank=True, help_text=_("会议决议或文件的链接"))
    evidence_document = models.ForeignKey("wagtaildocs.Document", null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+", verbose_name=_("依据文件"))
    is_final = models.BooleanField(_("已正式作出"), default=False)
    is_current = models.BooleanField(_("现行决定"), default=False)
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by", verbose_name=_("取代的决定"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("审查员"))
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    objects = ProvinceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["standard", "province__order", "-decided_at"]
        verbose_name = _("互认决定")
        verbose_name_plural = _("互认决定")
        constraints = [
            models.UniqueConstraint(fields=["standard", "province"], condition=Q(is_current=True),
                                    name="one_current_decision_per_cell",
                                    violation_error_message=_("该省对此标准已有现行决定。")),
            models.UniqueConstraint(fields=["standard", "province"], condition=Q(is_final=False),
                                    name="one_draft_decision_per_cell"),
            models.CheckConstraint(condition=Q(is_current=False) | Q(is_final=True),
                                   name="current_decision_is_final"),
            models.CheckConstraint(condition=~Q(outcome="conditional") | ~Q(conditions=""),
                                   name="conditional_decision_states_conditions"),
        ]

    def __str__(self):
        return f"{self.province} · {self.standard.number} · {self.get_outcome_display()}"

    def clean(self):
        errors = {}
        if self.outcome == Outcome.CONDITIONAL and not (self.conditions or "").strip():
            errors["conditions"] = _("有条件认可须写明认可条件。")
        if not self.evidence_url and not self.evidence_document_id and self.is_final:
            errors["evidence_url"] = _("请提供依据：填写会议决议或相关文件的链接。")
        if errors:
            raise ValidationError(errors)

    @property
    def is_positive(self) -> bool:
        return self.outcome in POSITIVE


class Disposition(models.TextChoices):
    ADOPTED = "adopted", _("采纳")
    PARTLY = "partly", _("部分采纳")
    NOT_ADOPTED = "not_adopted", _("不采纳")


class StandardComment(models.Model):
    """A comment on one clause of a standard in public comment, from another province; the issuer records one
    disposition for it (with a reason unless adopted)."""

    standard = models.ForeignKey(GroupStandard, on_delete=models.CASCADE, related_name="comments",
                                 verbose_name=_("团体标准"))
    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("提出意见的省市"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("提出人"))
    clause = models.CharField(_("条款"), max_length=40, help_text=_("例如 5.2.3 或 附录A"))
    text = models.TextField(_("意见内容"))
    suggestion = models.TextField(_("修改建议"), blank=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    disposition = models.CharField(_("处理意见"), max_length=16, choices=Disposition.choices, blank=True)
    disposition_reason = models.TextField(_("处理理由"), blank=True)
    disposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    disposed_at = models.DateTimeField(null=True, blank=True)

    #: Scoped by the commenting province.
    objects = ProvinceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["standard", "created_at"]
        verbose_name = _("征求意见")
        verbose_name_plural = _("征求意见")

    def __str__(self):
        return f"{self.standard.number} {self.clause}"

    def clean(self):
        if self.disposition in (Disposition.PARTLY, Disposition.NOT_ADOPTED) and not self.disposition_reason.strip():
            raise ValidationError({"disposition_reason": _("部分采纳或不采纳须说明理由。")})


class ProvinceApprovalTask(Task):
    """A moderation step approved by the moderators of the issuing province of the object under review, as the
    gate says, so one workflow serves every province and nobody approves another province's standard."""

    @staticmethod
    def _province_id(obj):
        return getattr(obj, "province_id", None)

    def user_can_access_editor(self, obj, user):
        return can(user, "change", self._province_id(obj))

    def locked_for_user(self, obj, user):
        return not can(user, "publish", self._province_id(obj))

    def user_can_lock(self, obj, user):
        return can(user, "publish", self._province_id(obj))

    def user_can_unlock(self, obj, user):
        return False

    def get_actions(self, obj, user):
        if can(user, "publish", self._province_id(obj)):
            return [("reject", _("退回修改"), True), ("approve", _("批准发布"), False),
                    ("approve", _("批准并留言"), True)]
        return []

    def get_task_states_user_can_moderate(self, user, **kwargs):
        from django.contrib.contenttypes.models import ContentType

        ids = province_ids_for(user, "publish")
        if not ids:
            return TaskState.objects.none()
        standards = GroupStandard.objects.filter(province_id__in=ids).annotate(
            key=Cast("pk", models.CharField())).values("key")
        return self.task_states.filter(
            status=TaskState.STATUS_IN_PROGRESS,
            workflow_state__base_content_type=ContentType.objects.get_for_model(GroupStandard),
            workflow_state__object_id__in=standards,
        )

    @classmethod
    def get_description(cls):
        return _("由发布省市的审核发布人员批准")

    class Meta:
        verbose_name = _("发布省市审核")
        verbose_name_plural = _("发布省市审核")
