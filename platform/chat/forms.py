"""The conversation page's routing forms: choices limited to the conversation's company."""

from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from accounts.models import Department, User
from chat import routing


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name()


class AssignForm(forms.Form):
    agent = PersonChoiceField(
        label=_("agent"), queryset=User.objects.none(), widget=UnfoldAdminSelectWidget
    )

    def __init__(self, *args, conversation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = routing.agents_for(conversation)


class TransferForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("department"),
        queryset=Department.objects.none(),
        required=False,
        widget=UnfoldAdminSelectWidget,
        empty_label=_("(same department)"),
    )
    agent = PersonChoiceField(
        label=_("agent"),
        queryset=User.objects.none(),
        required=False,
        widget=UnfoldAdminSelectWidget,
        empty_label=_("(nobody: the department's queue)"),
    )
    reason = forms.CharField(
        label=_("reason"),
        required=False,
        max_length=500,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),
    )

    def __init__(self, *args, conversation, **kwargs):
        super().__init__(*args, **kwargs)
        tenant_id = conversation.tenant_id
        self.fields["department"].queryset = Department.objects.for_tenant(tenant_id)
        # Anyone active in the company; the service checks they are in the target department.
        self.fields["agent"].queryset = (
            User.objects.for_tenant(tenant_id).filter(is_active=True).order_by("display_name")
        )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("department") or cleaned.get("agent")):
            raise forms.ValidationError(_("Choose a department or an agent."))
        return cleaned
