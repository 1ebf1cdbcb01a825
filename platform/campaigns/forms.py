"""Admin forms of campaigns: weekdays as checkboxes, variables checked on each variation, and the
small forms of the schedule and test-send buttons."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminTextInputWidget,
)

from campaigns import rendering
from campaigns.models import Campaign

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class CampaignForm(forms.ModelForm):
    window_days = forms.TypedMultipleChoiceField(
        label=_("sending days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_("None ticked: every day."),
    )

    class Meta:
        model = Campaign
        fields = [
            "tenant",
            "name",
            "description",
            "department",
            "instances",
            "rotation",
            "interval_min",
            "interval_max",
            "daily_limit_per_instance",
            "min_health",
            "typing_presence",
            "window_days",
            "window_start",
            "window_end",
            "audience_tags",
            "audience_lists",
            "audience_filter",
        ]

    def clean_window_days(self):
        return sorted(set(self.cleaned_data["window_days"]))


class VariationFormSet(BaseInlineFormSet):
    """Each text is checked against the company's variables; an unknown one is shown on the
    text it is in (it would never be sent literally anyway)."""

    def clean(self):
        super().clean()
        tenant_id = getattr(self.instance, "tenant_id", None)
        if tenant_id is None:  # staff adding, with the company still missing on the form
            return
        for form in self.forms:
            body = getattr(form, "cleaned_data", {}).get("body")
            if not body or form.cleaned_data.get("DELETE"):
                continue
            try:
                rendering.validate(body, self.instance.tenant)
            except ValidationError as error:
                form.add_error("body", error)

    def save_new(self, form, commit=True):
        form.instance.tenant_id = self.instance.tenant_id
        return super().save_new(form, commit)


class ScheduleForm(forms.Form):
    # The panel's <input type="datetime-local"> posts ISO 8601, in the user's time zone.
    when = forms.DateTimeField(label=_("start at"))


class TestSendForm(forms.Form):
    phone = forms.CharField(
        label=_("phone number"), max_length=40, widget=UnfoldAdminTextInputWidget
    )
