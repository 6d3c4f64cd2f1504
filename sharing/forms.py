from django import forms
from django.utils.translation import gettext_lazy as _

from sharing.models.standards import Disposition, Outcome, Status
from sharing.selectors import RECOGNITION_FILTERS


class RegistryFilterForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("编号、名称、起草单位"), "type": "search"}))
    province = forms.ChoiceField(label=_("发布省市"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态"))] + Status.choices)
    ics = forms.CharField(label=_("ICS"), required=False, widget=forms.TextInput(attrs={"placeholder": "03.120"}))
    recognition = forms.ChoiceField(label=_("互认情况"), required=False,
                                    choices=[("", _("全部"))] + list(RECOGNITION_FILTERS.items()))
    year = forms.IntegerField(label=_("年份"), required=False, min_value=1900, max_value=2100)

    def __init__(self, *args, provinces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", _("全部省市"))] + [(p.code, p.name) for p in provinces]

    def params(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")} if self.is_valid() else {}


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("决定"), choices=Outcome.choices, widget=forms.RadioSelect)
    conditions = forms.CharField(label=_("认可条件"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                 help_text=_("有条件认可时必填"))
    rationale = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence_url = forms.URLField(label=_("依据链接"), required=False, assume_scheme="https",
                                  help_text=_("会议决议或文件的链接"))
    supersedes = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ProposeForm(forms.Form):
    provinces = forms.MultipleChoiceField(label=_("提请省市"), required=False, widget=forms.CheckboxSelectMultiple,
                                          help_text=_("不选则提请所有其他成员省市"))
    note = forms.CharField(label=_("提请说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, provinces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provinces"].choices = [(str(p.pk), p.name) for p in provinces]


class CommentForm(forms.Form):
    province = forms.ChoiceField(label=_("代表省市"))
    clause = forms.CharField(label=_("条款"), max_length=40, widget=forms.TextInput(attrs={"placeholder": "5.2.3"}))
    text = forms.CharField(label=_("意见内容"), widget=forms.Textarea(attrs={"rows": 3}))
    suggestion = forms.CharField(label=_("修改建议"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, provinces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [(str(p.pk), p.name) for p in provinces]


class DispositionForm(forms.Form):
    disposition = forms.ChoiceField(label=_("处理意见"), choices=Disposition.choices)
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    province = forms.ChoiceField(label=_("发布省市"))
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))
    valid_rows_only = forms.BooleanField(
        label=_("只导入无误的行"), required=False,
        help_text=_("默认只要有一行有误就全部不导入；勾选后导入无误的行，并列出有误的行。"))

    def __init__(self, *args, provinces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [(str(p.pk), p.name) for p in provinces]

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("只支持 .xlsx 和 .csv 文件。"))
        return f
