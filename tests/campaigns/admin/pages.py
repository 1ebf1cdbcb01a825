"""Addresses and messages of the campaign admin pages."""

from django.urls import reverse


def url(name, campaign=None):
    args = [campaign.pk] if campaign is not None else []
    return reverse(f"admin:campaigns_campaign_{name}", args=args)


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []
