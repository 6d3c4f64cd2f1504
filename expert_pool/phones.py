"""Phone numbers of experts: one stored form, so that duplicates are found and bad input is refused.

Mainland mobiles are stored as 11 digits (``13370872252``); landlines as ``<area>-<number>`` with an optional
``-<extension>`` (``021-12345678-801``). Spaces, dashes, dots, brackets and a +86 / 0086 prefix are accepted on
input. Anything else is refused with a message the person can act on.
"""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes: 010, 02x (two digits after 0) take 8-digit numbers; 0xxx (three digits after 0) take 7 or 8.
LANDLINE = re.compile(r"^(0(?:10|2\d))(\d{8})$|^(0[3-9]\d{2})(\d{7,8})$")
_EXTENSION = re.compile(r"(?:转|ext\.?|x|#|分机)\s*(\d{1,6})$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-–—.()（）]+")


def invalid_message() -> str:
    return _("电话号码格式不正确：请填写 11 位手机号（如 133 7087 2252）或带区号的固定电话（如 021-12345678，分机可写 -801）。")


def normalise(raw: str) -> str:
    """The stored form of ``raw`` ('' for blank); raises ``ValidationError`` for anything not a phone number."""
    text = (raw or "").strip()
    if not text:
        return ""
    extension = ""
    match = _EXTENSION.search(text)
    if match:
        extension, text = match.group(1), text[:match.start()]
    parts = [p for p in _SEPARATORS.split(text.strip()) if p]
    if not parts or not all(p.lstrip("+").isdigit() for p in parts):
        raise ValidationError(invalid_message(), code="phone")
    if parts[0] in ("+86", "0086", "86") and len(parts) > 1:
        parts = parts[1:]
    # A landline written with dashes and a trailing short group: the last group is the extension.
    if not extension and len(parts) >= 3 and parts[0].startswith("0") and len(parts[-1]) <= 4 \
            and LANDLINE.match(parts[0] + "".join(parts[1:-1])):
        extension, parts = parts[-1], parts[:-1]
    digits = "".join(parts).lstrip("+")
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if MOBILE.match(digits) and not extension:
        return digits
    landline = LANDLINE.match(digits)
    if landline:
        area, number = (landline.group(1), landline.group(2)) if landline.group(1) else (landline.group(3),
                                                                                          landline.group(4))
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    raise ValidationError(invalid_message(), code="phone")


def comparable(stored: str) -> str:
    """The part of a stored number that identifies a person (a landline's extension is shared by nobody else,
    but the same line may be written with or without it)."""
    value = stored or ""
    if "-" in value:
        value = "-".join(value.split("-")[:2])
    return value.replace("-", "")


def normalise_or_raw(raw: str) -> str:
    """Best effort for comparing numbers already stored before validation existed."""
    try:
        return normalise(raw)
    except ValidationError:
        return re.sub(r"\D", "", raw or "")
