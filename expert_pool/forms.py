from django import forms
from django.utils.translation import gettext_lazy as _

from expert_pool import visibility
from expert_pool.models import LANGUAGES, Availability, Conflict, ExpertRequest, Qualification, Specialism
from hub.models import Province

DATE = forms.DateInput(attrs={"type": "date"})


class TaxonomyChoiceField(forms.ModelChoiceField):
    """A specialism or qualification choice, shown in the visitor's language (``Taxonomy.label``)."""

    def label_from_instance(self, obj):
        return obj.label


class TaxonomyMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.label


class VisibilityFields(forms.Form):
    """One audience choice per configurable field group, named ``vis_<group>``."""

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        for group in visibility.CONFIGURABLE:
            label, fields, default, _conf = visibility.GROUPS[group]
            choices, help_text = visibility.AUDIENCES, ""
            if group == visibility.CONSENTED and (current or {}).get(group) != visibility.PUBLIC:
                # Public contact details only through the expert's own consent page, never a drop-down.
                choices = [c for c in choices if c[0] != visibility.PUBLIC]
                help_text = _("如需向公众公开手机和电子邮箱，请在“公开联系方式”页面阅读说明并确认同意。")
            self.fields[f"vis_{group}"] = forms.ChoiceField(
                label=_("“%(group)s”谁可见") % {"group": label}, choices=choices, help_text=help_text,
                initial=(current or {}).get(group, default))

    def visibility_value(self) -> dict:
        return {group: self.cleaned_data[f"vis_{group}"] for group in visibility.CONFIGURABLE}


class ProfileForm(VisibilityFields):
    name = forms.CharField(label=_("姓名"), max_length=32)
    employer = forms.CharField(label=_("工作单位"), max_length=100)
    title = forms.CharField(label=_("职称"), max_length=32, required=False,
                            help_text=_("例如：正高级工程师、高级工程师、教授"))
    specialisms = TaxonomyMultipleChoiceField(label=_("专业领域"), queryset=Specialism.objects.all(),
                                                 widget=forms.CheckboxSelectMultiple)
    qualifications = TaxonomyMultipleChoiceField(label=_("资格"), queryset=Qualification.objects.all(),
                                                    widget=forms.CheckboxSelectMultiple, required=False)
    industries = forms.CharField(label=_("熟悉行业"), max_length=200, required=False)
    languages = forms.MultipleChoiceField(label=_("工作语言"), choices=LANGUAGES, initial=["zh"],
                                          widget=forms.CheckboxSelectMultiple)
    bio = forms.CharField(label=_("个人简介"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    photo = forms.ImageField(label=_("照片"), required=False)
    phone = forms.CharField(label=_("电话"), max_length=32, required=False,
                            help_text=_("手机号（如 133 7087 2252）或带区号的固定电话（如 021-12345678）。"))
    email = forms.EmailField(label=_("电子邮箱"), required=False)

    def clean_phone(self):
        from expert_pool import phones

        return phones.normalise(self.cleaned_data["phone"])

    def profile_kwargs(self) -> dict:
        data = {key: self.cleaned_data[key] for key in ("name", "employer", "title", "industries", "languages",
                                                        "bio", "phone", "email")}
        data["specialisms"] = list(self.cleaned_data["specialisms"])
        data["qualifications"] = list(self.cleaned_data["qualifications"])
        data["visibility_"] = self.visibility_value()
        if self.cleaned_data.get("photo"):
            data["photo"] = self.cleaned_data["photo"]
        return data


class ProfileRegistrationForm(ProfileForm):
    """Registration by someone who already has an account: the profile only."""

    province = forms.ModelChoiceField(label=_("所属省市协会"), queryset=Province.objects.filter(is_member=True))
    field_order = ["province", "name", "employer", "title"]


class RegistrationForm(ProfileRegistrationForm):
    """A new account and its profile. No username field: the hub assigns the login name and shows it after
    registration, so this form never tells a visitor whether a username exists."""

    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, min_length=8,
                               help_text=_("提交后系统会为您分配登录用户名，请与密码一起牢记。"))
    field_order = ["password", "province", "name", "employer", "title"]


class AvailabilityForm(forms.ModelForm):
    class Meta:
        model = Availability
        fields = ["start", "end", "mode", "regions"]
        widgets = {"start": DATE, "end": DATE, "regions": forms.CheckboxSelectMultiple}
        help_texts = {"regions": _("不选表示各地均可。")}


class ConflictForm(forms.ModelForm):
    class Meta:
        model = Conflict
        fields = ["organisation", "kind", "until", "note"]
        widgets = {"until": DATE}


class ExpertPicker(forms.SelectMultiple):
    """Chosen experts as checkboxes plus a search box (name, employer, 编号, pinyin) that adds more; the search
    runs through the directory, so it finds only experts — and fields — the user may see."""

    template_name = "expert_pool/widgets/expert_picker.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = [str(v) for v in (value or [])]
        from expert_pool.models import Expert

        experts = Expert.objects.filter(pk__in=[int(v) for v in chosen if str(v).isdigit()]).select_related(
            "province") if chosen else []
        context["widget"]["chosen"] = [{"id": e.pk, "label": f"{e.name} · {e.province.name} · {e.external_ref}"}
                                       for e in experts]
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The project's templates, not the form renderer's (which only sees Django's own widget templates).
        from django.template.loader import render_to_string
        from django.utils.safestring import mark_safe

        return mark_safe(render_to_string(self.template_name, self.get_context(name, value, attrs)))


class RequestForm(forms.ModelForm):
    province = forms.ModelChoiceField(label=_("申请方"), queryset=Province.objects.none())
    experts = forms.ModelMultipleChoiceField(
        label=_("点名专家"), required=False, queryset=None, widget=ExpertPicker,
        help_text=_("输入姓名、单位、编号或拼音查找并勾选；不点名则提交后随机抽取。"))

    class Meta:
        model = ExpertRequest
        fields = ["title", "purpose", "start", "end", "respond_by", "place", "remote", "specialisms",
                  "number_needed", "reserves_needed", "elsewhere_only", "organisation_under_review",
                  "organisation_province", "avoid_organisation_province", "max_per_province"]
        widgets = {"start": DATE, "end": DATE, "respond_by": DATE, "specialisms": forms.CheckboxSelectMultiple}
        field_classes = {"specialisms": TaxonomyMultipleChoiceField}

    def __init__(self, *args, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = provinces if provinces is not None else Province.objects.none()
        self.fields["respond_by"].required = False
        self.fields["province"].initial = self.fields["province"].queryset.first()
        from expert_pool.models import Expert

        self.fields["experts"].queryset = Expert.objects.active()
        self.fields["experts"].error_messages["invalid_choice"] = _("所选专家不在库或不存在。")

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["expert_ids"] = [e.pk for e in data.pop("experts")]
        return data


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("评分"), coerce=int, choices=[(i, f"{i} 分") for i in range(5, 0, -1)])
    comment = forms.CharField(label=_("评价"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class DirectoryForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False)
    specialism = TaxonomyChoiceField(label=_("专业领域"), queryset=Specialism.objects.all(), required=False,
                                        empty_label=_("全部专业"))
    qualification = TaxonomyChoiceField(label=_("资格"), queryset=Qualification.objects.all(), required=False,
                                           empty_label=_("全部资格"))
    province = forms.ModelChoiceField(label=_("省市"), queryset=Province.objects.all(), required=False,
                                      empty_label=_("全部省市"))
    language = forms.ChoiceField(label=_("语言"), choices=[("", _("全部语言"))] + LANGUAGES, required=False)
    available_from = forms.DateField(label=_("可服务自"), required=False, widget=DATE)
    available_to = forms.DateField(label=_("至"), required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        start, end = data.get("available_from"), data.get("available_to")
        if start and end and end < start:
            self.add_error("available_to", _("结束日期不能早于开始日期。"))
        return data


class ImportForm(forms.Form):
    province = forms.ModelChoiceField(label=_("导入到"), queryset=Province.objects.none())
    file = forms.FileField(label=_("专家名单（XLSX）"))

    def __init__(self, *args, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = provinces if provinces is not None else Province.objects.none()


class ContactConsentForm(forms.Form):
    agree = forms.BooleanField(label=_("我已阅读以上说明，同意向所有访问者公开我的手机和电子邮箱。"))
