"""Wagtail admin for the roundtable's members: provinces and their associations (superusers and the secretariat).

A province added here has no groups, section or collection yet: ``manage.py setup_roundtable <CODE>`` provisions it.
"""
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, HelpPanel, MultiFieldPanel
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from hub.models import Association, Province

PROVISION_HELP = _("新增省市后，请由系统管理员运行“manage.py setup_roundtable 代码”，"
                   "为其创建用户组、栏目页、文件集合和权限。")


class ProvinceViewSet(ModelViewSet):
    model = Province
    icon = "site"
    menu_label = _("省市")
    url_prefix = "provinces"
    list_display = ["code", "name_zh", "name_en", "order", "is_member"]
    list_filter = ["is_member"]
    search_fields = ["code", "name_zh", "name_en"]
    ordering = ["order", "code"]
    add_to_admin_menu = False
    inspect_view_enabled = True
    panels = [
        HelpPanel(content=PROVISION_HELP),
        FieldRowPanel([FieldPanel("code"), FieldPanel("order")]),
        FieldRowPanel([FieldPanel("name_zh"), FieldPanel("name_en")]),
        FieldRowPanel([FieldPanel("colour"), FieldPanel("is_member")]),
    ]


class AssociationViewSet(ModelViewSet):
    model = Association
    icon = "group"
    menu_label = _("质量协会")
    url_prefix = "associations"
    list_display = ["name_zh", "province", "standards_code", "phone", "email"]
    search_fields = ["name_zh", "name_en", "standards_code"]
    add_to_admin_menu = False
    inspect_view_enabled = True
    panels = [
        FieldPanel("province"),
        FieldRowPanel([FieldPanel("name_zh"), FieldPanel("name_en")]),
        FieldRowPanel([FieldPanel("short_name"), FieldPanel("standards_code")]),
        MultiFieldPanel([FieldPanel("phone"), FieldPanel("email"), FieldPanel("address"), FieldPanel("website")],
                        heading=_("联系方式")),
    ]


class RoundtableViewSetGroup(ViewSetGroup):
    menu_label = _("圆桌会议成员")
    menu_icon = "globe"
    menu_order = 250
    items = (ProvinceViewSet, AssociationViewSet)
