"""Writes of the accounts area: two-factor devices and lifting lockouts."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from hub.permissions import is_secretariat, is_unrestricted

WRONG_CODE = _("验证码不正确或已过期，请输入验证器 App 中当前显示的 6 位数字。")


def may_use_two_factor(user) -> bool:
    """Staff (Wagtail admin users) and superusers may protect their sign-in with a second factor."""
    return user.is_authenticated and (user.is_staff or is_unrestricted(user) or user.has_perm("wagtailadmin.access_admin"))


@transaction.atomic
def totp_device_pending(*, user) -> TOTPDevice:
    """The user's unconfirmed device (created on first visit), whose secret the enrolment page shows."""
    if not may_use_two_factor(user):
        raise PermissionDenied
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice(user=user, name=_("验证器 App"), confirmed=False)
        device.full_clean()
        device.save()
    return device


@transaction.atomic
def totp_confirm(*, user, token: str) -> TOTPDevice:
    """Confirms the pending device with a code from the app; the other devices of the user are removed."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
    if device is None or not device.verify_token((token or "").strip()):
        raise ValidationError(WRONG_CODE)
    device.confirmed = True
    device.save()
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return device


@transaction.atomic
def totp_disable(*, user, token: str) -> None:
    """Switches two-factor sign-in off; needs a current code, so a stolen session alone cannot do it."""
    from django.conf import settings

    if settings.HUB_SUPERUSER_2FA_REQUIRED and is_unrestricted(user):
        raise ValidationError(_("超级管理员必须使用两步验证，不能关闭。"))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or not device.verify_token((token or "").strip()):
        raise ValidationError(WRONG_CODE)
    TOTPDevice.objects.filter(user=user).delete()


@transaction.atomic
def lockout_release(*, actor, username: str = "", ip_address: str = "") -> int:
    """The secretariat lifts the lockout of an account or of an address; returns the attempts cleared."""
    from axes.utils import reset
    from wagtail.log_actions import log

    if not is_secretariat(actor):
        raise PermissionDenied
    if not (username or ip_address):
        raise ValidationError(_("请选择要解锁的账号或地址。"))
    cleared = reset(username=username or None) if username else reset(ip=ip_address)
    from django.contrib.auth import get_user_model

    account = get_user_model().objects.filter(username=username).first() if username else None
    if account is not None:
        log(instance=account, action="hub.lockout.release", user=actor, data={"username": username})
    return cleared
