"""In-site notices and each person's e-mail choice per kind."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One notice to one person; ``key`` makes a repeated notice (a daily reminder) arrive only once."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("接收人"))
    kind = models.CharField(_("类型"), max_length=60)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    key = models.CharField(max_length=120, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed = models.BooleanField(_("已发邮件"), default=False)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [models.UniqueConstraint(fields=["recipient", "kind", "key"], condition=~Q(key=""),
                                               name="notification_once_per_key")]

    def __str__(self):
        return self.subject


class NotificationPreference(models.Model):
    """Whether a person wants a kind of notice by e-mail as well (the in-site notice always arrives)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(_("类型"), max_length=60)
    email = models.BooleanField(_("同时发送邮件"), default=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self):
        return f"{self.user_id}:{self.kind}={self.email}"
