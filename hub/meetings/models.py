"""Roundtable meetings, their live notes (a Yjs document kept as an append-only update log) and their minutes."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hub.permissions import ProvinceScopedQuerySet, scoped_queryset


class RotationSlot(models.Model):
    """The host rotation kept by the secretariat: provinces take turns hosting in ``position`` order."""

    province = models.OneToOneField("hub.Province", on_delete=models.CASCADE, related_name="rotation_slot",
                                    verbose_name=_("省市"))
    position = models.PositiveSmallIntegerField(_("轮值顺序"), unique=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("轮值顺序")
        verbose_name_plural = _("轮值顺序")

    def __str__(self):
        return f"{self.position}. {self.province}"


class MeetingQuerySet(ProvinceScopedQuerySet):
    province_field = "host"

    def for_participant(self, user):
        """Meetings that list ``user`` as a participant, directly or through one of their groups."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(
            Q(participants__user=user) | Q(participants__group__in=user.groups.all())
        ).distinct()


class Meeting(models.Model):
    """A roundtable meeting; the host province's staff administer it; status only moves forward."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("已排期")
        LIVE = "live", _("进行中")
        CLOSED = "closed", _("已结束（待签署）")
        SIGNED = "signed", _("纪要已签署")

    title = models.CharField(_("会议名称"), max_length=200)
    host = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="hosted_meetings",
                             verbose_name=_("轮值主办省市"))
    starts_at = models.DateTimeField(_("开始时间"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    online_link = models.URLField(_("线上会议链接"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    #: Highest log sequence number written; the row lock on the meeting serialises writers across processes.
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("圆桌会议")
        verbose_name_plural = _("圆桌会议")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "live", "closed", "signed"]), name="meeting_status_valid"),
        ]

    def __str__(self):
        return self.title

    @property
    def notes_writable(self) -> bool:
        return self.status in (self.Status.SCHEDULED, self.Status.LIVE)  # also in notes.WRITABLE_STATUSES


class AgendaItem(models.Model):
    """One agenda item, in order; items carried over from open action items point at them."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("议题"), max_length=300)
    action_item = models.ForeignKey("hub.ActionItem", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="agenda_items", verbose_name=_("督办事项"))

    objects = scoped_queryset("meeting__host").as_manager()

    class Meta:
        ordering = ["meeting", "position"]
        verbose_name = _("议程")
        verbose_name_plural = _("议程")
        constraints = [models.UniqueConstraint(fields=["meeting", "position"], name="agenda_position_unique")]

    def __str__(self):
        return self.title


class Participant(models.Model):
    """A person or a group taking part in a meeting, as editor (writes the notes) or observer (reads them)."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("编辑")
        OBSERVER = "observer", _("列席（只读）")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="meeting_participations", verbose_name=_("人员"))
    group = models.ForeignKey("auth.Group", on_delete=models.CASCADE, null=True, blank=True,
                              related_name="meeting_participations", verbose_name=_("用户组"))
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices, default=Role.EDITOR)

    objects = scoped_queryset("meeting__host").as_manager()

    class Meta:
        verbose_name = _("参会人")
        verbose_name_plural = _("参会人")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, group__isnull=True) | Q(user__isnull=True, group__isnull=False)),
                name="participant_user_xor_group"),
            models.UniqueConstraint(fields=["meeting", "user"], name="participant_user_once",
                                    condition=Q(user__isnull=False)),
            models.UniqueConstraint(fields=["meeting", "group"], name="participant_group_once",
                                    condition=Q(group__isnull=False)),
            models.CheckConstraint(condition=Q(role__in=["editor", "observer"]), name="participant_role_valid"),
        ]

    def __str__(self):
        return str(self.user or self.group)


class NoteUpdate(models.Model):
    """One accepted Yjs update of a meeting's notes; rows are only ever appended, numbered 1, 2, 3… per meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="note_updates")
    seq = models.PositiveBigIntegerField()
    data = models.BinaryField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "seq"]
        constraints = [models.UniqueConstraint(fields=["meeting", "seq"], name="note_update_seq_unique")]

    def __str__(self):
        return f"{self.meeting_id}#{self.seq}"


class NoteSnapshot(models.Model):
    """The merged document after update ``upto_seq``: automatic (compaction) or a named checkpoint."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="note_snapshots")
    upto_seq = models.PositiveBigIntegerField()
    state = models.BinaryField()
    label = models.CharField(_("检查点名称"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "upto_seq", "pk"]
        indexes = [models.Index(fields=["meeting", "-upto_seq"], name="note_snapshot_latest")]

    def __str__(self):
        return self.label or f"{self.meeting_id}@{self.upto_seq}"


class NoteClient(models.Model):
    """A Yjs client id bound to the account that first wrote with it: authorship comes from here, not the client."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="note_clients")
    client_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "client_id"], name="note_client_unique")]

    def __str__(self):
        return f"{self.meeting_id}:{self.client_id}"


class NoteClock(models.Model):
    """Which clock ranges of one Yjs client the meeting's log already holds: its items (``items``) and the deletions
    of its items (``deleted``), each a sorted list of ``[start, end)`` pairs, normally one ``[0, n)``. A write
    stores only what no row holds yet (``hub.meetings.log.append_updates``), so an edit that reaches the log twice
    (a resync after a worker died, a peer's edit adopted, a retried batch) is still held by one row."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    client_id = models.PositiveBigIntegerField()
    items = models.JSONField(default=list)
    deleted = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "client_id"], name="note_clock_unique")]

    def __str__(self):
        return f"{self.meeting_id}:{self.client_id}"


class Minutes(models.Model):
    """The frozen record of a closed meeting; once every province has answered it is signed and never changes."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    #: The notes as a list of blocks ({"type": "heading"|"paragraph"|"bullet"|"ordered"|"task"|"table", …}).
    blocks = models.JSONField(default=list, blank=True)
    attendees = models.JSONField(default=list, blank=True)
    agenda = models.JSONField(default=list, blank=True)
    upto_seq = models.PositiveBigIntegerField(default=0)
    frozen_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(_("内容哈希（SHA-256）"), max_length=64, blank=True)

    objects = scoped_queryset("meeting__host").as_manager()

    class Meta:
        verbose_name = _("会议纪要")
        verbose_name_plural = _("会议纪要")

    def __str__(self):
        return f"{self.meeting}（纪要）"


class MinutesAnswer(models.Model):
    """A participating province's answer on the minutes: confirmed, or confirmed with a recorded reservation."""

    class Decision(models.TextChoices):
        CONFIRM = "confirm", _("确认")
        RESERVATION = "reservation", _("保留意见")

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="answers")
    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("意见"), max_length=12, choices=Decision.choices)
    note = models.TextField(_("说明"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(auto_now_add=True)

    objects = ProvinceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["province__order"]
        constraints = [models.UniqueConstraint(fields=["minutes", "province"], name="minutes_answer_once")]

    def __str__(self):
        return f"{self.province_id}: {self.get_decision_display()}"


class Addendum(models.Model):
    """A later note on signed minutes; the signed text itself never changes."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="addenda")
    text = models.TextField(_("补充内容"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created"]

    def __str__(self):
        return self.text[:40]


class ActionItem(models.Model):
    """A resolution to follow up (督办), owned by a province (optionally a person), from a checklist item in the notes."""

    class Status(models.TextChoices):
        OPEN = "open", _("办理中")
        DONE = "done", _("已办结")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items",
                                verbose_name=_("来源会议"))
    text = models.CharField(_("事项"), max_length=500)
    owner_province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="action_items",
                                       verbose_name=_("责任省市"))
    owner_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("责任人"))
    due = models.DateField(_("完成期限"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    evidence = models.TextField(_("办结说明"), blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)

    objects = scoped_queryset("owner_province").as_manager()

    class Meta:
        ordering = ["due", "pk"]
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")
        constraints = [
            models.CheckConstraint(condition=Q(status="open") | ~Q(evidence=""), name="action_done_has_evidence"),
        ]

    def __str__(self):
        return self.text
