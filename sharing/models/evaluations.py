"""Joint evaluation programmes (质量评价认证协同): applications, panels drawn from the expert pool, blind scoring
against a versioned rubric, results with verifiable certificates, and each province's recognition of the others'
results.

Scoping: a programme belongs to its lead province (``province``); co-organisers take part through sign-off. An
application is owned by the applicant's home province, whose staff check it (形式审查); the programme's organisers
see every application of their programme. Scores are read only through ``sharing.evaluation_selectors``, which keep
them blind.
"""
from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

from hub.permissions import ProvinceScopedQuerySet, is_unrestricted, province_ids_for

#: 统一社会信用代码: 18 characters of digits and capital letters without I, O, S, V, Z.
CREDIT_CODE_VALIDATOR = RegexValidator(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$",
                                       _("统一社会信用代码应为 18 位数字或大写字母。"))
#: Certificate verification codes avoid look-alike characters (0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int = 12) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


class Enterprise(models.Model):
    """A member enterprise that applies to programmes; its account is confirmed by its home province's staff."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认")

    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="enterprises",
                                 verbose_name=_("所在省市"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enterprise",
                                verbose_name=_("企业账号"))
    name = models.CharField(_("企业名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True,
                                   validators=[CREDIT_CODE_VALIDATOR],
                                   error_messages={"unique": _("该统一社会信用代码已登记。")})
    contact = models.CharField(_("联系人"), max_length=32, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("确认人"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    objects = ProvinceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["province__order", "name"]
        verbose_name = _("申报企业")
        verbose_name_plural = _("申报企业")

    def __str__(self):
        return self.name


class ProgrammeQuerySet(SearchableQuerySetMixin, ProvinceScopedQuerySet):
    def public(self):
        """Programmes anyone may read: every stage after sign-off."""
        return self.exclude(stage__in=(Programme.Stage.DRAFT, Programme.Stage.SIGNOFF))

    def organised_by(self, user, action: str = "change"):
        """Programmes whose lead or a co-organiser is one of the user's provinces for ``action``."""
        if is_unrestricted(user):
            return self
        ids = province_ids_for(user, action)
        return self.filter(Q(province__in=ids) | Q(co_organisers__in=ids)).distinct()


class Programme(index.Indexed, models.Model):
    """An evaluation programme of one association, or a joint one (a lead and co-organisers who each sign off
    before it opens). Its rubric is frozen once scoring starts."""

    class Kind(models.TextChoices):
        QC = "qc", _("QC小组成果")
        IMPROVEMENT = "improvement", _("质量改进项目")
        EXCELLENCE = "excellence", _("卓越绩效评价")
        SITE = "site", _("现场管理星级评价")
        BRAND = "brand", _("省级质量品牌")
        JOINT = "joint", _("长三角联合评价")

    class Aggregation(models.TextChoices):
        MEAN = "mean", _("算术平均")
        TRIMMED = "trimmed", _("去掉一个最高分和一个最低分后平均（评审五人及以上）")
        CONSENSUS = "consensus", _("合议评分")

    class Stage(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SIGNOFF = "signoff", _("待联合主办方确认")
        OPEN = "open", _("申报")
        CHECK = "check", _("形式审查")
        REVIEW = "review", _("评审")
        ANNOUNCE = "announce", _("公示")
        PUBLISHED = "published", _("发布")

    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="programmes",
                                 verbose_name=_("主办省市"))
    co_organisers = models.ManyToManyField("hub.Province", blank=True, related_name="co_organised_programmes",
                                           verbose_name=_("联合主办省市"))
    title = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    summary = models.TextField(_("简介"), blank=True)
    eligibility = models.TextField(_("申报条件"), blank=True)
    aggregation = models.CharField(_("计分方法"), max_length=16, choices=Aggregation.choices,
                                   default=Aggregation.MEAN)
    disagreement_points = models.DecimalField(_("分歧阈值（分）"), max_digits=7, decimal_places=2, default=15,
                                              validators=[MinValueValidator(0)],
                                              help_text=_("评审总分的极差超过此值时提交合议。"))
    panel_size = models.PositiveSmallIntegerField(_("评审组人数"), default=5, validators=[MinValueValidator(1)])
    reserves = models.PositiveSmallIntegerField(_("候补人数"), default=2)
    cap_per_province = models.PositiveSmallIntegerField(_("同一省市最多人数"), default=2,
                                                        validators=[MinValueValidator(1)])
    cap_per_employer = models.PositiveSmallIntegerField(_("同一单位最多人数"), default=1,
                                                        validators=[MinValueValidator(1)])
    avoid_applicant_province = models.BooleanField(_("回避申报企业所在省市的专家"), default=False)
    apply_opens = models.DateField(_("申报开始"))
    apply_closes = models.DateTimeField(_("申报截止"))
    check_closes = models.DateField(_("形式审查截止"))
    review_closes = models.DateTimeField(_("评审截止"))
    announce_closes = models.DateTimeField(_("公示截止"))
    publish_on = models.DateField(_("发布日期"))
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.DRAFT, db_index=True)
    rubric_version = models.PositiveSmallIntegerField(_("评价准则版本"), default=1)
    rubric_frozen_at = models.DateTimeField(_("评价准则冻结时间"), null=True, blank=True)
    #: The consensus session (合议) held as a roundtable meeting with live notes, once scheduled.
    consensus_meeting = models.OneToOneField("hub.Meeting", null=True, blank=True, on_delete=models.SET_NULL,
                                             related_name="+", verbose_name=_("合议会议"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    # Indexed through the hub's Chinese search backend; only public programmes are ever searched (selectors).
    search_fields = [
        index.SearchField("title", boost=2),
        index.SearchField("summary"),
        index.SearchField("eligibility"),
        index.AutocompleteField("title"),
        index.FilterField("stage"),
    ]

    class Meta:
        ordering = ["-apply_opens", "pk"]
        verbose_name = _("评价项目")
        verbose_name_plural = _("评价项目")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("evaluations:programme", args=[self.pk])

    def clean(self):
        errors = {}
        if self.apply_opens and self.apply_closes and self.apply_closes.date() < self.apply_opens:
            errors["apply_closes"] = _("申报截止不能早于申报开始。")
        order = [("apply_closes", self.apply_closes and self.apply_closes.date()), ("check_closes", self.check_closes),
                 ("review_closes", self.review_closes and self.review_closes.date()),
                 ("announce_closes", self.announce_closes and self.announce_closes.date()),
                 ("publish_on", self.publish_on)]
        for (_name, earlier), (later_name, later) in zip(order, order[1:], strict=False):
            if earlier and later and later < earlier:
                errors[later_name] = _("时间安排须依次为：申报、形式审查、评审、公示、发布。")
        if errors:
            raise ValidationError(errors)

    @property
    def is_joint(self) -> bool:
        return self.pk is not None and self.co_organisers.exists()

    @property
    def full_score(self):
        return sum((c.max_points * c.weight for c in self.criteria.all()), 0)


class Criterion(models.Model):
    """One criterion of a programme's rubric: its maximum points, weight, level descriptors and guidance."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="criteria",
                                  verbose_name=_("评价项目"))
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("评价项"), max_length=80)
    max_points = models.DecimalField(_("满分"), max_digits=7, decimal_places=2, validators=[MinValueValidator(1)])
    weight = models.DecimalField(_("权重"), max_digits=4, decimal_places=2, default=1,
                                 validators=[MinValueValidator(0.01)])
    descriptors = models.TextField(_("水平描述"), blank=True, help_text=_("每行一个水平，例如：优秀（90%以上）……"))
    guidance = models.TextField(_("评分指引"), blank=True)

    class Meta:
        ordering = ["programme", "order", "pk"]
        verbose_name = _("评价项")
        verbose_name_plural = _("评价项")
        constraints = [models.UniqueConstraint(fields=["programme", "name"], name="criterion_name_once")]

    def __str__(self):
        return self.name


class ResultLevel(models.Model):
    """A result level of a programme (一等奖, 通过, ★★★★…) and the lowest total that reaches it."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="levels",
                                  verbose_name=_("评价项目"))
    name = models.CharField(_("等级"), max_length=32)
    min_total = models.DecimalField(_("最低总分"), max_digits=8, decimal_places=2)
    awarded = models.BooleanField(_("授予证书"), default=True, help_text=_("“不通过”之类的等级不授予证书。"))

    class Meta:
        ordering = ["programme", "-min_total"]
        verbose_name = _("结果等级")
        verbose_name_plural = _("结果等级")
        constraints = [models.UniqueConstraint(fields=["programme", "name"], name="level_name_once")]

    def __str__(self):
        return self.name


class Signoff(models.Model):
    """A co-organising province's sign-off on a joint programme before it opens."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="signoffs")
    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "province"], name="one_signoff_per_province")]

    def __str__(self):
        return f"{self.programme} · {self.province}"


class ApplicationQuerySet(ProvinceScopedQuerySet):
    def scope(self, user, action: str, ids: frozenset[int]):
        """The applicant's home province (its staff check applications) and the programme's organisers."""
        if not ids:
            return self.none()
        return self.filter(Q(province__in=ids) | Q(programme__province__in=ids)
                           | Q(programme__co_organisers__in=ids)).distinct()

    def of_applicant(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(enterprise__user=user)


class Application(models.Model):
    """An enterprise's application (在线申报) to a programme. Submission locks it and issues a receipt; the home
    province's staff accept or reject it with a reason, or return it once for correction."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("退回修改")
        ACCEPTED = "accepted", _("形式审查通过")
        REJECTED = "rejected", _("形式审查未通过")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="applications",
                                  verbose_name=_("评价项目"))
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="applications",
                                   verbose_name=_("申报企业"))
    #: The applicant's home province at the time of applying; its staff check the application.
    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("申报省市"))
    title = models.CharField(_("申报成果名称"), max_length=120)
    summary = models.TextField(_("成果简介"))
    employer_names = models.TextField(_("参与单位"), blank=True,
                                      help_text=_("除申报企业外参与的单位，每行一个；抽取评审时回避这些单位的专家。"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    receipt = models.CharField(_("回执编号"), max_length=16, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    check_reason = models.TextField(_("形式审查意见"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)
    returned_once = models.BooleanField(default=False)
    consensus_total = models.DecimalField(_("合议总分"), max_digits=8, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "province__order", "pk"]
        verbose_name = _("申报")
        verbose_name_plural = _("申报")
        constraints = [
            models.UniqueConstraint(fields=["programme", "enterprise", "title"], name="one_application_per_title"),
            models.UniqueConstraint(fields=["receipt"], condition=~Q(receipt=""), name="receipt_unique"),
        ]

    def __str__(self):
        return f"{self.enterprise} · {self.title}"

    @property
    def is_locked(self) -> bool:
        return self.status not in (self.Status.DRAFT, self.Status.RETURNED)

    def avoided_employers(self) -> set[str]:
        names = {self.enterprise.name.strip()}
        names.update(line.strip() for line in self.employer_names.splitlines() if line.strip())
        return names


class ApplicationAttachment(models.Model):
    """A file uploaded with an application, kept as a document in the applicant province's collection; read only by
    the applicant, the application's organisers and home province, and its assigned, non-recused reviewers."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments",
                                    verbose_name=_("申报"))
    document = models.OneToOneField("wagtaildocs.Document", on_delete=models.CASCADE, related_name="+",
                                    verbose_name=_("文件"))
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "pk"]
        verbose_name = _("申报附件")
        verbose_name_plural = _("申报附件")

    def __str__(self):
        return self.document.title


class PanelDraw(models.Model):
    """The recorded draw of a programme's panel: seed and candidate list replay it exactly."""

    programme = models.OneToOneField(Programme, on_delete=models.CASCADE, related_name="panel_draw")
    seed = models.BigIntegerField()
    candidate_ids = models.JSONField()
    excluded = models.JSONField(default=dict, help_text="expert id → reason it was not a candidate")
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    drawn_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.programme} · {self.seed}"


class Seat(models.Model):
    """An expert's seat on a programme's panel: a principal reviewer or a reserve, in draw order."""

    class Role(models.TextChoices):
        PRINCIPAL = "principal", _("评审专家")
        RESERVE = "reserve", _("候补专家")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="seats")
    expert = models.ForeignKey("expert_pool.Expert", on_delete=models.PROTECT, related_name="evaluation_seats",
                               verbose_name=_("专家"))
    role = models.CharField(_("席位"), max_length=16, choices=Role.choices)
    order = models.PositiveSmallIntegerField(_("抽取顺序"))

    class Meta:
        ordering = ["programme", "role", "order"]
        constraints = [models.UniqueConstraint(fields=["programme", "expert"], name="one_seat_per_expert")]

    def __str__(self):
        return f"{self.expert} ({self.get_role_display()})"


class ScoreSheet(models.Model):
    """One reviewer's sheet for one application: a conflict declaration first, then scores per criterion. A
    declared conflict recuses the reviewer (a reserve's sheet replaces it); a submitted sheet is immutable unless the
    organiser reopens it with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待声明利益冲突")
        SCORING = "scoring", _("评分中")
        RECUSED = "recused", _("已回避")
        SUBMITTED = "submitted", _("已提交")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="sheets")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="sheets")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    conflict_note = models.TextField(_("利益冲突说明"), blank=True)
    declared_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    rubric_version = models.PositiveSmallIntegerField(null=True, blank=True)
    reopened_reason = models.TextField(_("退回重评理由"), blank=True)

    class Meta:
        ordering = ["application", "seat__role", "seat__order"]
        constraints = [models.UniqueConstraint(fields=["application", "seat"], name="one_sheet_per_reviewer")]

    def __str__(self):
        return f"{self.application} · {self.seat.expert}"


class Score(models.Model):
    """Points for one criterion on one sheet, within 0 and the criterion's maximum."""

    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    comment = models.TextField(_("评语"), blank=True)

    class Meta:
        ordering = ["sheet", "criterion__order"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "criterion"], name="one_score_per_criterion"),
            models.CheckConstraint(condition=Q(points__gte=0), name="score_not_negative"),
        ]

    def __str__(self):
        return f"{self.criterion} {self.points}"


class ResultQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status__in=(Result.Status.ANNOUNCED, Result.Status.PUBLISHED, Result.Status.REVOKED))


class Result(models.Model):
    """The outcome of one application: total, level and — when awarded — a certificate with a verification code."""

    class Status(models.TextChoices):
        ANNOUNCED = "announced", _("公示中")
        PUBLISHED = "published", _("已发布")
        REVOKED = "revoked", _("已撤销")

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="result")
    total = models.DecimalField(_("总分"), max_digits=8, decimal_places=2)
    level = models.ForeignKey(ResultLevel, null=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("等级"))
    code = models.CharField(_("证书验证码"), max_length=16, unique=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ANNOUNCED)
    announced_at = models.DateTimeField(_("公示时间"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.TextField(_("撤销原因"), blank=True)

    objects = ResultQuerySet.as_manager()

    class Meta:
        ordering = ["application__programme", "-total"]
        verbose_name = _("评价结果")
        verbose_name_plural = _("评价结果")

    def __str__(self):
        return f"{self.application} · {self.level or '—'}"

    @property
    def is_awarded(self) -> bool:
        return self.level is not None and self.level.awarded

    def get_absolute_url(self):
        return reverse("evaluations:verify") + f"?code={self.code}"


class Objection(models.Model):
    """An objection (异议) to an announced result, filed before the announcement closes."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="objections")
    name = models.CharField(_("提出人"), max_length=32)
    contact = models.CharField(_("联系方式"), max_length=64)
    text = models.TextField(_("异议内容"))
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.result} · {self.name}"


class ResultRecognition(models.Model):
    """A province's decision on another province's programme: its results recognised as equivalent to a named
    programme of its own, recognised with conditions, or declined. Never edited: a newer one supersedes."""

    class Outcome(models.TextChoices):
        EQUIVALENT = "equivalent", _("等同认可")
        CONDITIONAL = "conditional", _("有条件认可")
        DECLINED = "declined", _("不予认可")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="recognitions",
                                  verbose_name=_("被认可的评价项目"))
    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("认可省市"))
    outcome = models.CharField(_("决定"), max_length=16, choices=Outcome.choices)
    equivalent_to = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("视同本省项目"))
    conditions = models.TextField(_("认可条件"), blank=True)
    rationale = models.TextField(_("理由"))
    evidence_url = models.URLField(_("依据链接"), blank=True)
    is_current = models.BooleanField(default=True)
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    objects = ProvinceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "province__order", "-decided_at"]
        verbose_name = _("结果互认决定")
        verbose_name_plural = _("结果互认决定")
        constraints = [
            models.UniqueConstraint(fields=["programme", "province"], condition=Q(is_current=True),
                                    name="one_current_result_recognition",
                                    violation_error_message=_("该省对此项目已有现行决定。")),
            models.CheckConstraint(condition=~Q(outcome="conditional") | ~Q(conditions=""),
                                   name="conditional_recognition_states_conditions"),
        ]

    def __str__(self):
        return f"{self.province} · {self.programme} · {self.get_outcome_display()}"
