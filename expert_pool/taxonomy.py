"""The starting entries of the expert pool's two editable taxonomies (the secretariat may add, rename or reorder them).

The names are stored in Chinese; marking them puts them in the translation catalogue, so that ``label`` shows them
in the visitor's language. Exports and search documents keep the stored (Chinese) name.
"""
from django.utils.translation import gettext_noop as _

SPECIALISMS = [
    _("质量奖评审"), _("QC小组成果评审"), _("卓越绩效评价"), _("六西格玛与精益改进"), _("现场管理诊断"), _("质量管理体系审核"),
    _("培训授课"), _("团体标准审查"), _("可靠性工程"), _("计量与检测"),
]
QUALIFICATIONS = [
    _("质量工程师"), _("六西格玛黑带"), _("六西格玛绿带"), _("卓越绩效评价师"), _("QC小组活动诊断师"), _("现场管理诊断师"),
    _("质量奖评审员"), _("注册审核员"),
]
