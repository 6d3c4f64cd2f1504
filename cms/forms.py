"""Admin page forms that keep a province's pages inside its own collection, and the public registration form."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

from cms.references import check_own_collection, referenced_media


class ProvincePageForm(WagtailAdminPageForm):
    """Every document and image a province page uses must come from that province's collection."""

    stream_fields: tuple[str, ...] = ("body",)
    image_fields: tuple[str, ...] = ()

    def _province(self):
        if self.instance.province_id:
            return self.instance.province
        parent = self.parent_page.specific if self.parent_page is not None else None
        return getattr(parent, "province", None)

    def clean(self):
        cleaned = super().clean()
        stream_values = []
        for name in self.stream_fields:
            value = cleaned.get(name)
            if value is not None:
                stream_values.append(value.get_prep_value())
        document_ids, image_ids = [], []
        for name in self.image_fields:
            image = cleaned.get(name)
            if image is not None:
                image_ids.append(image.pk)
        attachments = self.formsets.get("attachments") if hasattr(self, "formsets") else None
        if attachments is not None:
            for form in attachments.forms:
                data = getattr(form, "cleaned_data", None) or {}
                if data.get("document") is not None and not data.get("DELETE"):
                    document_ids.append(data["document"].pk)
        documents, images = referenced_media(stream_values=stream_values, document_ids=document_ids,
                                             image_ids=image_ids)
        try:
            check_own_collection(province=self._province(), documents=documents, images=images)
        except forms.ValidationError as exc:
            self.add_error(None, exc)
        # The page's own clean() needs the province on a page that is not in the tree yet.
        if not self.instance.province_id:
            province = self._province()
            if province is not None:
                self.instance.province = province
        return cleaned


class EventPageForm(ProvincePageForm):
    image_fields = ("cover_image",)


class AchievementPageForm(ProvincePageForm):
    image_fields = ("cover_image",)


class RegistrationForm(forms.Form):
    """Name, contact and the event's own questions (added as fields ``q_<id>``)."""

    name = forms.CharField(label=_("姓名"), max_length=64)
    email = forms.EmailField(label=_("电子邮箱"))
    phone = forms.CharField(label=_("手机号码"), max_length=32, required=False)
    organisation = forms.CharField(label=_("单位"), max_length=128, required=False)

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"q_{question.pk}"] = question.form_field()

    def answers(self) -> dict[str, str]:
        result = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"q_{question.pk}")
            if isinstance(value, bool):
                value = _("是") if value else _("否")
            result[question.label] = str(value or "")
        return result
