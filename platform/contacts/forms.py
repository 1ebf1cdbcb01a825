"""Forms of the contacts admin's bulk actions (the page between choosing an action and applying
it), each scoped to one tenant's tags and lists."""

from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from campaigns.models import Campaign
from contacts.models import ContactList, Tag


class TenantBulkForm(forms.Form):
    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant


class ChooseTagForm(TenantBulkForm):
    tag = forms.ModelChoiceField(
        Tag.objects.none(), label=_("Tag"), required=False, widget=UnfoldAdminSelectWidget
    )
    new_tag = forms.CharField(
        label=_("or a new tag"), max_length=60, required=False, widget=UnfoldAdminTextInputWidget
    )

    def __init__(self, *args, allow_new=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = Tag.objects.for_tenant(self.tenant)
        if not allow_new:
            del self.fields["new_tag"]
            self.fields["tag"].required = True

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("tag") and not cleaned.get("new_tag", "").strip():
            raise forms.ValidationError(_("Choose a tag or name a new one."))
        return cleaned

    def chosen_tag(self) -> Tag:
        if self.cleaned_data.get("tag"):
            return self.cleaned_data["tag"]
        tag, _created = Tag.objects.get_or_create(
            tenant=self.tenant, name=self.cleaned_data["new_tag"].strip()
        )
        return tag


class ChooseListForm(TenantBulkForm):
    contact_list = forms.ModelChoiceField(
        ContactList.objects.none(), label=_("List"), widget=UnfoldAdminSelectWidget
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_list"].queryset = ContactList.objects.for_tenant(self.tenant)


class OptOutForm(TenantBulkForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=255, required=False, widget=UnfoldAdminTextInputWidget
    )


class ChooseCampaignForm(TenantBulkForm):
    """The campaigns of the tenant that ``user`` may see and that can still get recipients."""

    OPEN = (
        Campaign.Status.DRAFT,
        Campaign.Status.SCHEDULED,
        Campaign.Status.RUNNING,
        Campaign.Status.PAUSED,
    )
    campaign = forms.ModelChoiceField(
        Campaign.objects.none(), label=_("Campaign"), widget=UnfoldAdminSelectWidget
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = (
            Campaign.objects.visible_to(user)
            .for_tenant(self.tenant)
            .filter(status__in=self.OPEN)
            .order_by("-created_at")
        )
