"""The roles of the roundtable and what each may do on its own province's data.

A role is a group per province (``<CODE> editors``). What the group may do is granted as guardian object
permissions on that province's ``Province`` row, which is what ``hub.permissions`` reads. Groups never hold
model-level change/delete permissions on province-owned models.
"""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

#: Actions on province data. Each becomes a permission ``hub.<action>_province_data`` on Province.
ACTIONS = {
    "view": _("以工作人员身份查看本省资料（含草稿与个人信息）"),
    "add": _("新增本省资料"),
    "change": _("修改本省资料"),
    "delete": _("删除本省资料"),
    "publish": _("发布本省资料、审核联合活动"),
    "review": _("代表本省对团体标准作出互认决定"),
    "coordinate": _("管理本省专家、审批借用专家"),
    "participate": _("以圆桌会议成员身份参与（会员内容、会议）"),
}


@dataclass(frozen=True)
class Role:
    slug: str
    group_suffix: str
    label: str
    actions: tuple[str, ...]


ROLES = (
    Role("editor", "editors", _("编辑"), ("view", "add", "change", "participate")),
    Role("moderator", "moderators", _("审核发布"), ("view", "add", "change", "delete", "publish", "participate")),
    Role("reviewer", "standards reviewers", _("标准互认审查员"), ("view", "review", "participate")),
    Role("coordinator", "expert coordinators", _("专家协调员"), ("view", "coordinate", "participate")),
    Role("member", "members", _("圆桌会议成员"), ("participate",)),
)
ROLES_BY_SLUG = {role.slug: role for role in ROLES}
SECRETARIAT_GROUP = "Roundtable secretariat"
#: The secretariat takes part in everything and keeps the meeting rotation; it edits no province's material.
SECRETARIAT_ACTIONS = ("participate",)


def group_name(province_code: str, role: Role) -> str:
    return f"{province_code} {role.group_suffix}"
