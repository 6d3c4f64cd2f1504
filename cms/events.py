"""Joint events, campaigns and online registration (在线报名).

An event lives under its lead province's section page, so Wagtail's page permissions on that subtree decide who
edits it; the lead province is always the section's province. Co-organising provinces sign the event off through
the workflow (``cms.signoff``) before it can go live.
"""
from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms.blocks import BodyBlock
from cms.forms import EventPageForm
from cms.pages import ProvinceOwnedPage
from hub.permissions import ProvinceScopedQuerySet
from hub.translations import TranslatedPageMixin

TIME_ZONES = [
    ("Asia/Shanghai", _("北京时间（UTC+8）")),
    ("Asia/Tokyo", _("东京（UTC+9）")),
    ("Asia/Singapore", _("新加坡（UTC+8）")),
    ("Europe/Berlin", _("柏林")),
    ("Europe/London", _("伦敦")),
    ("America/New_York", _("纽约")),
    ("UTC", _("协调世界时 UTC")),
]

END_BEFORE_START = _("结束时间不能早于开始时间。")
TIMES_REQUIRED = _("非全天活动请填写开始和结束的具体时间。")
PLACE_REQUIRED = _("线下或线上线下结合的活动请填写地点。")
LINK_REQUIRED = _("线上或线上线下结合的活动请填写会议链接。")
DEADLINE_AFTER_EVENT = _("报名截止时间不能晚于活动开始时间。")
CAPACITY_BELOW_CONFIRMED = _("名额不能少于已确认和待审核的报名人数（{count} 人）。")
LEAD_NOT_CO_ORGANISER = _("主办省市不必再列为协办省市。")


class EventCategory(models.Model):
    """An entry of the editable event taxonomy (质量月, 质量大讲堂, …); the secretariat keeps the list."""

    name = models.CharField(_("名称"), max_length=32, unique=True)
    slug = models.SlugField(_("英文标识"), max_length=40, unique=True,
                            help_text=_("用于订阅链接，例如 quality-month。"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("order")]

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("活动类别")
        verbose_name_plural = _("活动类别")

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        """The name in the active language: the starting entries are in the translation catalogue
        (cms/taxonomy.py); an entry the secretariat adds later shows as typed until it is translated."""
        from django.utils.translation import gettext

        return gettext(self.name)


class EventQuestion(Orderable):
    """A question the organiser asks every registrant (custom registration question)."""

    TEXT, TEXTAREA, CHOICE, CHECKBOX = "text", "textarea", "choice", "checkbox"
    KINDS = [(TEXT, _("单行文字")), (TEXTAREA, _("多行文字")), (CHOICE, _("单选")), (CHECKBOX, _("勾选确认"))]

    page = ParentalKey("cms.EventPage", on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(_("问题"), max_length=120)
    kind = models.CharField(_("类型"), max_length=12, choices=KINDS, default=TEXT)
    choices = models.CharField(_("选项"), max_length=500, blank=True, help_text=_("单选题的选项，用顿号或逗号分隔。"))
    required = models.BooleanField(_("必答"), default=False)

    panels = [FieldPanel("label"), FieldRowPanel([FieldPanel("kind"), FieldPanel("required")]), FieldPanel("choices")]

    class Meta(Orderable.Meta):
        verbose_name = _("报名问题")

    def clean(self):
        if self.kind == self.CHOICE and len(self.choice_list()) < 2:
            raise ValidationError({"choices": _("单选题至少需要两个选项。")})

    def choice_list(self) -> list[str]:
        import re

        return [c.strip() for c in re.split(r"[、,，;；\n]", self.choices) if c.strip()]

    def form_field(self):
        from django import forms

        if self.kind == self.TEXTAREA:
            return forms.CharField(label=self.label, required=self.required, widget=forms.Textarea(attrs={"rows": 3}),
                                   max_length=2000)
        if self.kind == self.CHOICE:
            return forms.ChoiceField(label=self.label, required=self.required,
                                     choices=[("", "—")] + [(c, c) for c in self.choice_list()])
        if self.kind == self.CHECKBOX:
            return forms.BooleanField(label=self.label, required=self.required)
        return forms.CharField(label=self.label, required=self.required, max_length=300)


class EventAttachment(Orderable):
    page = ParentalKey("cms.EventPage", on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey("wagtaildocs.Document", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("文件"))
    panels = [FieldPanel("document")]


class CampaignPage(ProvinceOwnedPage, TranslatedPageMixin, Page):
    """An umbrella campaign (e.g. 2027年质量月): every province's events that name it are shown together."""

    #: The text an English version replaces (hub.translations); the rest is this page's own record.
    translated_fields = ("title", "seo_title", "search_description", "summary", "body")

    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="campaigns", null=True,
                                 editable=False, verbose_name=_("发起省市"))
    summary = models.TextField(_("摘要"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("正文"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))

    content_panels = Page.content_panels + [
        FieldPanel("summary"), FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]), FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("search_terms")]

    parent_page_types = ["cms.ProvinceSectionPage", "cms.HomePage"]
    subpage_types = []
    template = "cms/campaign_page.html"

    class Meta:
        verbose_name = _("主题活动")
        verbose_name_plural = _("主题活动")

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": END_BEFORE_START})

    def search_terms(self) -> str:
        return " ".join(str(part) for part in (self.title, self.summary) if part)

    def get_context(self, request, *args, **kwargs):
        from cms import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.campaign_overview(campaign=self, user=request.user, request=request))
        return context


class EventPage(ProvinceOwnedPage, TranslatedPageMixin, Page):
    """A roundtable event led by the province whose section holds it; co-organisers sign it off before it goes live."""

    #: The text an English version replaces (hub.translations); the rest is this page's own record.
    translated_fields = ("title", "seo_title", "search_description", "summary", "body", "place")

    IN_PERSON, ONLINE, HYBRID = "in_person", "online", "hybrid"
    MODES = [(IN_PERSON, _("线下")), (ONLINE, _("线上")), (HYBRID, _("线上线下结合"))]

    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="events", null=True,
                                 editable=False, verbose_name=_("主办省市"))
    summary = models.TextField(_("摘要"), max_length=300)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("正文"))
    category = models.ForeignKey(EventCategory, on_delete=models.PROTECT, related_name="events",
                                 verbose_name=_("活动类别"))
    campaign = models.ForeignKey(CampaignPage, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="sub_events", verbose_name=_("所属主题活动"))
    co_organisers = ParentalManyToManyField("hub.Province", blank=True, related_name="co_organised_events",
                                            verbose_name=_("协办省市"))
    all_day = models.BooleanField(_("全天活动"), default=False)
    start_date = models.DateField(_("开始日期"))
    start_time = models.TimeField(_("开始时间"), null=True, blank=True)
    end_date = models.DateField(_("结束日期"))
    end_time = models.TimeField(_("结束时间"), null=True, blank=True)
    time_zone = models.CharField(_("时区"), max_length=40, choices=TIME_ZONES, default="Asia/Shanghai")
    #: Derived from the dates, times and time zone on save; used for ordering, filters and feeds.
    starts_at = models.DateTimeField(editable=False, null=True, db_index=True)
    ends_at = models.DateTimeField(editable=False, null=True, db_index=True)
    mode = models.CharField(_("形式"), max_length=12, choices=MODES, default=IN_PERSON)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    meeting_url = models.URLField(_("会议链接"), blank=True)
    cover_image = models.ForeignKey("wagtailimages.Image", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("封面图片"))
    registration_open = models.BooleanField(_("开放在线报名"), default=False)
    capacity = models.PositiveIntegerField(_("名额"), null=True, blank=True, help_text=_("留空表示不限名额。"))
    registration_deadline = models.DateTimeField(_("报名截止时间"), null=True, blank=True)
    registration_requires_approval = models.BooleanField(_("报名需主办方审核"), default=False)

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        MultiFieldPanel([
            FieldPanel("all_day"),
            FieldRowPanel([FieldPanel("start_date"), FieldPanel("start_time")]),
            FieldRowPanel([FieldPanel("end_date"), FieldPanel("end_time")]),
            FieldPanel("time_zone"),
        ], heading=_("时间")),
        MultiFieldPanel([FieldPanel("mode"), FieldPanel("place"), FieldPanel("meeting_url")], heading=_("形式与地点")),
        FieldRowPanel([FieldPanel("category"), FieldPanel("campaign")]),
        FieldPanel("co_organisers", widget=forms.CheckboxSelectMultiple),
        FieldPanel("cover_image"),
        FieldPanel("body"),
        InlinePanel("attachments", label=_("附件")),
        MultiFieldPanel([
            FieldPanel("registration_open"), FieldPanel("capacity"), FieldPanel("registration_deadline"),
            FieldPanel("registration_requires_approval"), InlinePanel("questions", label=_("报名问题")),
        ], heading=_("在线报名")),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"), index.SearchField("place"), index.SearchField("search_terms"),
        index.FilterField("province"), index.FilterField("start_date"),
    ]

    base_form_class = EventPageForm
    parent_page_types = ["cms.ProvinceSectionPage"]
    subpage_types = []
    template = "cms/event_page.html"

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")

    def __str__(self):
        return self.title

    # --- time ---------------------------------------------------------------------------------------------
    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or settings.TIME_ZONE)

    def compute_bounds(self) -> tuple[datetime | None, datetime | None]:
        """Aware start and end instants; an all-day event runs from midnight of its first day to midnight after
        its last day in the event's own time zone."""
        if not self.start_date or not self.end_date:
            return None, None
        if self.all_day:
            start = datetime.combine(self.start_date, time.min, self.tz)
            end = datetime.combine(self.end_date + timedelta(days=1), time.min, self.tz)
        else:
            start = datetime.combine(self.start_date, self.start_time or time.min, self.tz)
            end = datetime.combine(self.end_date, self.end_time or time.max.replace(microsecond=0), self.tz)
        return start, end

    def when_text(self) -> str:
        """The date (and time) as association staff write it, in the event's own time zone."""
        from django.utils.dateformat import format as date_format
        from django.utils.translation import pgettext

        def day(d):
            return date_format(d, pgettext("date format", "Y年n月j日"))

        if self.start_date is None:
            return ""
        if self.multi_day:
            end = date_format(self.end_date, pgettext("date format", "n月j日")) \
                if self.end_date.year == self.start_date.year else day(self.end_date)
            text = f"{day(self.start_date)}–{end}"
        else:
            text = day(self.start_date)
        if not self.all_day and self.start_time and self.end_time:
            if self.multi_day:
                text = f"{day(self.start_date)} {self.start_time:%H:%M} – {day(self.end_date)} {self.end_time:%H:%M}"
            else:
                text = f"{text} {self.start_time:%H:%M}–{self.end_time:%H:%M}"
            if self.time_zone != settings.TIME_ZONE:
                text = f"{text}（{self.get_time_zone_display()}）"
        return text

    @property
    def multi_day(self) -> bool:
        return bool(self.start_date and self.end_date and self.end_date > self.start_date)

    @property
    def is_past(self) -> bool:
        return self.ends_at is not None and self.ends_at < timezone.now()

    def clean(self):
        super().clean()
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = END_BEFORE_START
        if not self.all_day:
            if self.start_time is None or self.end_time is None:
                errors.setdefault("start_time", TIMES_REQUIRED)
            elif self.start_date == self.end_date and self.end_time < self.start_time:
                errors["end_time"] = END_BEFORE_START
        if self.mode in (self.IN_PERSON, self.HYBRID) and not self.place.strip():
            errors["place"] = PLACE_REQUIRED
        if self.mode in (self.ONLINE, self.HYBRID) and not self.meeting_url:
            errors["meeting_url"] = LINK_REQUIRED
        start, _end = self.compute_bounds()
        if self.registration_deadline and start and self.registration_deadline > start:
            errors["registration_deadline"] = DEADLINE_AFTER_EVENT
        if self.capacity is not None and self.pk:
            taken = Registration.objects.filter(event_id=self.pk, status__in=Registration.SEAT_STATUSES).count()
            if self.capacity < taken:
                errors["capacity"] = CAPACITY_BELOW_CONFIRMED.format(count=taken)
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # The lead province is the section's (ProvinceOwnedPage); the bounds follow the dates and times.
        self.starts_at, self.ends_at = self.compute_bounds()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = list(set(update_fields) | {"starts_at", "ends_at"})
        return super().save(*args, **kwargs)

    # --- presentation --------------------------------------------------------------------------------------
    def search_terms(self) -> str:
        return " ".join(str(part) for part in (self.title, self.summary, self.place, getattr(self.category, "name", "")) if part)

    @cached_property
    def organiser_names(self) -> list[str]:
        return [p.name for p in self.co_organisers.all()]

    @property
    def is_joint(self) -> bool:
        return bool(self.co_organisers.all())

    def registration_state(self) -> str:
        """'closed', 'deadline', 'open'."""
        if not self.registration_open or self.is_past:
            return "closed"
        if self.registration_deadline and self.registration_deadline < timezone.now():
            return "deadline"
        return "open"

    def get_context(self, request, *args, **kwargs):
        from cms import selectors
        from cms.forms import RegistrationForm
        from hub.fragments import lazy_context

        context = super().get_context(request, *args, **kwargs)

        def detail():
            found = selectors.event_detail(event=self, user=request.user)
            user = request.user
            initial = {"name": user.get_full_name(), "email": user.email} if user.is_authenticated else {}
            found["registration_form"] = RegistrationForm(questions=found["questions"], initial=initial)
            return found

        # Computed only when the content is not kept already (hub/fragments.py); what is personal (the member's
        # own registration, the prefilled form) is kept per session only.
        keys = ["seats_taken", "waitlist_count", "seats_remaining", "my_registration", "co_organisers", "is_organiser",
                "questions", "attachments", "registration_form"]
        context.update(lazy_context(detail, keys), cache_content=True)
        return context

    def permissions_for_user(self, user):
        from cms.signoff import EventPermissionTester

        return EventPermissionTester(user, self)


class RegistrationQuerySet(ProvinceScopedQuerySet):
    """Registrations belong to the event's lead province; co-organisers may see (not change) them."""

    province_field = "event__province"

    def scope(self, user, action: str, province_ids: frozenset[int]):
        if action != "view" or not province_ids:
            return super().scope(user, action, province_ids)
        co_organised = EventPage.objects.filter(co_organisers__in=province_ids).values("pk")
        return self.filter(Q(event__province__in=province_ids) | Q(event__in=co_organised))


class Registration(models.Model):
    """One person's registration; an event never holds more seats (confirmed + pending) than its capacity."""

    PENDING, CONFIRMED, WAITLISTED, CANCELLED, REJECTED = "pending", "confirmed", "waitlisted", "cancelled", "rejected"
    STATUSES = [(PENDING, _("待审核")), (CONFIRMED, _("已确认")), (WAITLISTED, _("候补")),
                (CANCELLED, _("已取消")), (REJECTED, _("未通过"))]
    #: Statuses that hold a seat.
    SEAT_STATUSES = (PENDING, CONFIRMED)
    ACTIVE_STATUSES = (PENDING, CONFIRMED, WAITLISTED)

    event = models.ForeignKey(EventPage, on_delete=models.CASCADE, related_name="registrations",
                              verbose_name=_("活动"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="event_registrations")
    name = models.CharField(_("姓名"), max_length=64)
    email = models.EmailField(_("电子邮箱"))
    phone = models.CharField(_("手机号码"), max_length=32, blank=True)
    organisation = models.CharField(_("单位"), max_length=128, blank=True)
    answers = models.JSONField(_("问题回答"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=STATUSES, default=CONFIRMED, db_index=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["event", "email"], condition=Q(status__in=["pending", "confirmed",
                                                                                       "waitlisted"]),
                                    name="registration_one_active_per_email"),
        ]

    def __str__(self):
        return f"{self.name} · {self.event}"

    @property
    def province(self):
        return self.event.province

    def cancel_url(self) -> str:
        from django.urls import reverse

        from hub.links import absolute_url

        return absolute_url(reverse("cms:registration_cancel", args=[self.token]))
