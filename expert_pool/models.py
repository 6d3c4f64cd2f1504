"""Experts, availability, requests and draws.

Province scoping: an ``Expert`` belongs to its home province (plain FK, ``ProvinceScopedQuerySet``). A request
touches two provinces — the requesting one and each borrowed expert's home — so ``ExpertRequestQuerySet`` and
``AssignmentQuerySet`` override the gate's ``scope`` hook (the gate's ``restrict`` keeps the preamble).
"""
from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hub.permissions import ProvinceScopedQuerySet, scoped_queryset

LANGUAGES = [
    ("zh", _("中文")), ("en", _("英语")), ("ja", _("日语")), ("ko", _("韩语")), ("de", _("德语")), ("fr", _("法语")),
]
LANGUAGE_LABELS = dict(LANGUAGES)


def joined(items) -> str:
    """Items as one line in the active language (、 in Chinese, a comma in English)."""
    from django.utils.translation import pgettext

    return pgettext("list separator", "、").join(str(item) for item in items)


class Taxonomy(models.Model):
    name = models.CharField(_("名称"), max_length=64, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        """The name in the active language: the starting entries are in the translation catalogue
        (expert_pool/taxonomy.py); an entry the secretariat adds later shows as typed until it is translated."""
        from django.utils.translation import gettext

        return gettext(self.name)


class Specialism(Taxonomy):
    """An area of expertise (质量奖评审, QC小组成果评审…); an editable taxonomy shared by all provinces."""

    class Meta(Taxonomy.Meta):
        verbose_name = _("专业领域")
        verbose_name_plural = _("专业领域")


class Qualification(Taxonomy):
    """A professional qualification (质量工程师, 六西格玛黑带…); an editable taxonomy shared by all provinces."""

    class Meta(Taxonomy.Meta):
        verbose_name = _("资格")
        verbose_name_plural = _("资格")


class ExpertQuerySet(ProvinceScopedQuerySet):
    def active(self):
        return self.filter(status=Expert.Status.ACTIVE)


class Expert(models.Model):
    """A quality professional of one home province; only an active expert appears publicly or can be drawn.
    What each viewer sees of a profile is decided by ``expert_pool.visibility`` alone."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        ACTIVE = "active", _("在库")
        SUSPENDED = "suspended", _("暂停")
        RETIRED = "retired", _("退出")
        REJECTED = "rejected", _("未通过审核")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="expert", verbose_name=_("账号"))
    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="experts",
                                 verbose_name=_("所属省市"))
    name = models.CharField(_("姓名"), max_length=32)
    employer = models.CharField(_("工作单位"), max_length=100)
    title = models.CharField(_("职称"), max_length=32, blank=True)
    specialisms = models.ManyToManyField(Specialism, blank=True, related_name="experts", verbose_name=_("专业领域"))
    qualifications = models.ManyToManyField(Qualification, blank=True, related_name="experts",
                                            verbose_name=_("资格"))
    industries = models.CharField(_("熟悉行业"), max_length=200, blank=True, help_text=_("多个行业用顿号或逗号分隔。"))
    languages = models.CharField(_("工作语言"), max_length=64, default=",zh,",
                                 help_text=_("以逗号包围的语言代码，例如 ,zh,en,"))
    bio = models.TextField(_("个人简介"), blank=True)
    photo = models.ImageField(_("照片"), upload_to="experts/", blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    #: field group → audience (see ``visibility.GROUPS``); missing groups use their default audience.
    visibility = models.JSONField(_("资料公开范围"), default=dict, blank=True)
    #: When the expert themself agreed, on the consent page, that phone and e-mail be shown to everyone. Contact
    #: details are public only with this set (``visibility.audience_of``); withdrawing clears it.
    contact_public_consent_at = models.DateTimeField(_("同意公开联系方式的时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    #: Changes of verified fields waiting for the coordinator: {field: new value}.
    pending_changes = models.JSONField(_("待审核的资料变更"), default=dict, blank=True)
    possible_duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                              related_name="+", verbose_name=_("疑似重复"))
    #: The association's number for the expert (编号), unique per province: imported ones keep theirs, others get
    #: ``<code>-<pk>``. Directory, exports and imports all speak this number, never the internal id.
    external_ref = models.CharField(_("编号"), max_length=32, blank=True)
    #: Why the coordinator did not approve a registration; shown to the applicant, cleared when they resubmit.
    rejection_reason = models.TextField(_("未通过原因"), blank=True)
    # Jieba-segmented text per audience, so that a search never matches a field the viewer may not read.
    search_public = models.TextField(editable=False, blank=True)
    search_staff = models.TextField(editable=False, blank=True)
    search_home = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    approved_at = models.DateTimeField(_("审核通过时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("审核人"))

    objects = ExpertQuerySet.as_manager()

    class Meta:
        ordering = ["province__order", "name", "pk"]
        verbose_name = _("专家")
        verbose_name_plural = _("专家")
        constraints = [
            models.UniqueConstraint(fields=["province", "external_ref"], condition=~Q(external_ref=""),
                                    name="expert_unique_external_ref"),
        ]

    def __str__(self):
        return self.name

    def language_codes(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    def language_labels(self) -> list[str]:
        return [str(LANGUAGE_LABELS.get(code, code)) for code in self.language_codes()]

    @property
    def language_list(self) -> str:
        """The working languages as one line in the active language (pages, not exports)."""
        return joined(self.language_labels())


class AvailabilityQuerySet(scoped_queryset("expert__province")):
    pass


class Availability(models.Model):
    """A date range in which the expert can serve; ranges of one expert never overlap (services merge or refuse)."""

    class Mode(models.TextChoices):
        ONSITE = "onsite", _("可到现场")
        REMOTE = "remote", _("仅远程")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="availability",
                               verbose_name=_("专家"))
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    mode = models.CharField(_("方式"), max_length=8, choices=Mode.choices, default=Mode.ONSITE)
    regions = models.ManyToManyField("hub.Province", blank=True, related_name="+", verbose_name=_("愿意前往的省市"))

    objects = AvailabilityQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        verbose_name = _("可服务时间")
        verbose_name_plural = _("可服务时间")
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="availability_order")]

    def __str__(self):
        return f"{self.start:%Y-%m-%d}–{self.end:%Y-%m-%d} {self.get_mode_display()}"

    def clean(self):
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("结束日期不能早于开始日期。")})


class ConflictQuerySet(scoped_queryset("expert__province")):
    def current(self, today: datetime.date | None = None):
        today = today or datetime.date.today()
        cutoff = today.replace(year=today.year - 3) if not (today.month == 2 and today.day == 29) \
            else today.replace(year=today.year - 3, day=28)
        return self.filter(Q(until__isnull=True) | Q(until__gte=cutoff))


class Conflict(models.Model):
    """A declared conflict of interest; it counts for avoidance until three years after ``until``."""

    class Kind(models.TextChoices):
        WORKED_FOR = "worked_for", _("曾任职")
        WORKED_WITH = "worked_with", _("业务往来")
        RELATION = "relation", _("亲属或利害关系")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("专家"))
    organisation = models.CharField(_("单位名称"), max_length=100)
    kind = models.CharField(_("关系"), max_length=16, choices=Kind.choices)
    until = models.DateField(_("结束于"), null=True, blank=True, help_text=_("仍在持续则留空。"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = ConflictQuerySet.as_manager()

    class Meta:
        ordering = ["organisation"]
        verbose_name = _("利益冲突声明")
        verbose_name_plural = _("利益冲突声明")

    def __str__(self):
        return f"{self.organisation}（{self.get_kind_display()}）"


class ExpertRequestQuerySet(ProvinceScopedQuerySet):
    """Visible to the requesting province, the home provinces of the experts asked for, and those experts."""

    def scope(self, user, action: str, ids: frozenset[int]):
        q = Q(requesting_province__in=ids) | Q(pk__in=Assignment.objects.filter(
            expert__province__in=ids).values("request_id"))
        if action == "view":
            q |= Q(pk__in=Assignment.objects.filter(expert__user=user).values("request_id"))
        return self.filter(q)


class ExpertRequest(models.Model):
    """A province borrowing experts (借用专家) for one purpose and date range; dates are never in the past."""

    class Purpose(models.TextChoices):
        AWARD = "award", _("质量奖评审")
        QC = "qc", _("QC小组成果评审")
        TRAINING = "training", _("培训授课")
        DIAGNOSIS = "diagnosis", _("企业诊断")
        STANDARD = "standard", _("标准审查")

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        WITHDRAWN = "withdrawn", _("已撤回")

    requesting_province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="expert_requests",
                                            verbose_name=_("申请方省市"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("申请人"))
    title = models.CharField(_("事由"), max_length=120)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    place = models.CharField(_("地点"), max_length=120)
    remote = models.BooleanField(_("远程进行"), default=False)
    specialisms = models.ManyToManyField(Specialism, related_name="requests", verbose_name=_("所需专业领域"))
    number_needed = models.PositiveSmallIntegerField(_("所需人数"), default=1, validators=[MinValueValidator(1)])
    reserves_needed = models.PositiveSmallIntegerField(_("备选人数"), default=0)
    elsewhere_only = models.BooleanField(_("仅限异地专家"), default=False)
    organisation_under_review = models.CharField(_("被评价单位"), max_length=100, blank=True)
    organisation_province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, null=True, blank=True,
                                              related_name="+", verbose_name=_("被评价单位所在省市"))
    avoid_organisation_province = models.BooleanField(
        _("回避被评价单位所在省市的专家"), default=False,
        help_text=_("勾选后，随机抽取不会抽到与被评价单位同一省市的专家。"))
    max_per_province = models.PositiveSmallIntegerField(
        _("每个省市最多正选人数"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("留空时，两人及以上的评审组不会全部来自同一省市。"))
    respond_by = models.DateField(_("答复截止日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    objects = ExpertRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("借用专家申请")
        verbose_name_plural = _("借用专家申请")
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="request_order")]

    def __str__(self):
        return self.title

    def clean(self):
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("结束日期不能早于开始日期。")})
        if self.respond_by and self.start and self.respond_by > self.start:
            raise ValidationError({"respond_by": _("答复截止日期不能晚于开始日期。")})

    def is_expired(self, today: datetime.date | None = None) -> bool:
        return (today or datetime.date.today()) > self.respond_by


class AssignmentQuerySet(ProvinceScopedQuerySet):
    """Same audience as the request: the requesting province, the expert's home province and the expert."""

    def scope(self, user, action: str, ids: frozenset[int]):
        q = Q(request__requesting_province__in=ids) | Q(expert__province__in=ids)
        if action == "view":
            q |= Q(expert__user=user)
        return self.filter(q)


BOOKED_STATUSES = ("confirmed", "completed")
#: Assignments that no longer hold a place on their request.
RELEASED_STATUSES = ("refused", "declined", "withdrawn", "unavailable")


class Assignment(models.Model):
    """One expert on one request. Confirmed (and completed) assignments of an expert never overlap in time:
    a PostgreSQL exclusion constraint (migration 0002) guarantees it; services also check under a row lock."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待本省审批")
        APPROVED = "approved", _("待专家答复")
        REFUSED = "refused", _("本省未同意")
        ACCEPTED = "accepted", _("专家已接受")
        DECLINED = "declined", _("专家已谢绝")
        CONFIRMED = "confirmed", _("已确认")
        COMPLETED = "completed", _("已完成")
        WITHDRAWN = "withdrawn", _("已撤回")
        UNAVAILABLE = "unavailable", _("时间冲突，未能安排")

    request = models.ForeignKey(ExpertRequest, on_delete=models.CASCADE, related_name="assignments",
                                verbose_name=_("申请"))
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("专家"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REQUESTED,
                              db_index=True)
    # Copied from the request so that the database can compare date ranges per expert.
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    drawn = models.BooleanField(_("随机抽取产生"), default=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("审批人"))
    answer_note = models.CharField(_("答复说明"), max_length=200, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True,
                                              validators=[MinValueValidator(1), MaxValueValidator(5)])
    rating_comment = models.TextField(_("评价"), blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["request", "pk"]
        verbose_name = _("专家安排")
        verbose_name_plural = _("专家安排")
        constraints = [
            models.UniqueConstraint(fields=["request", "expert"], name="assignment_once_per_request"),
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="assignment_rating_range"),
        ]

    def __str__(self):
        return f"{self.expert} · {self.request}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("draw records are append-only")

    def delete(self):
        raise TypeError("draw records are append-only")


class DrawQuerySet(AppendOnlyQuerySet):
    def restrict(self, user, action: str = "view"):
        return self.filter(request__in=ExpertRequest.objects.restrict(user, action))


class Draw(models.Model):
    """The record of one random draw (随机抽取): seed, candidates, exclusions and result. Append-only; replaying
    the stored candidates with the stored seed must give the stored result."""

    request = models.ForeignKey(ExpertRequest, on_delete=models.PROTECT, related_name="draws", verbose_name=_("申请"))
    seed = models.BigIntegerField(_("随机种子"))
    run_at = models.DateTimeField(_("抽取时间"))
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("抽取人"))
    rotation_cap = models.PositiveSmallIntegerField(_("轮换上限"))
    principals_wanted = models.PositiveSmallIntegerField(_("正选人数"))
    reserves_wanted = models.PositiveSmallIntegerField(_("备选人数"))
    candidate_ids = models.JSONField(_("候选名单"), blank=True)
    exclusions = models.JSONField(_("回避记录"), blank=True)
    principal_ids = models.JSONField(_("正选"), blank=True)
    reserve_ids = models.JSONField(_("备选"), blank=True)
    #: 1: plain sample (draws before caps existed); 2: a seeded permutation walked under the caps below.
    algorithm = models.PositiveSmallIntegerField(_("抽取算法版本"), default=1)
    province_cap = models.PositiveSmallIntegerField(_("每省正选上限"), null=True, blank=True)
    employer_cap = models.PositiveSmallIntegerField(_("同一单位上限"), null=True, blank=True)
    avoided_province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("回避省市"))
    #: {expert id: [province id, employer key]} as they were at the draw, so that a replay needs nothing else.
    candidate_attrs = models.JSONField(_("候选人属性"), default=dict, blank=True)
    #: Places already taken on the request before the draw: {"provinces": {id: n}, "employers": [key, …]}.
    preset = models.JSONField(_("已有人员"), default=dict, blank=True)

    objects = DrawQuerySet.as_manager()

    class Meta:
        ordering = ["-run_at", "-pk"]
        verbose_name = _("随机抽取记录")
        verbose_name_plural = _("随机抽取记录")

    def __str__(self):
        return f"{self.request} · {self.run_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("draw records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("draw records are append-only")
