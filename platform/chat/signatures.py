"""Agents' signatures: a line with who wrote it, added to what they send when they tick "Sign".

It is applied here, on the server, to the text (or a file's caption) before it is stored, so
the message in the history is exactly what the customer received. Without a signature of their
own, an agent signs with their name in WhatsApp bold: ``*Alice Rocha*:``.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import SignaturePosition, User

MAX_LENGTH = User._meta.get_field("chat_signature").max_length


def default_signature(user) -> str:
    return f"*{user.get_full_name()}*:"


def signature_of(user) -> str:
    return user.chat_signature.strip() or default_signature(user)


def sign(text: str, user) -> str:
    """``text`` with ``user``'s signature above or below it (an empty text stays empty)."""
    if not text:
        return text
    if user.chat_signature_position == SignaturePosition.AFTER:
        return f"{text}\n\n{signature_of(user)}"
    return f"{signature_of(user)}\n{text}"


def update(user, *, signature: str, position: str) -> None:
    """Save the user's own signature (the chat page's form)."""
    signature = signature.strip()
    if len(signature) > MAX_LENGTH:
        raise ValidationError(
            _("The signature is too long (at most %(max)d characters).") % {"max": MAX_LENGTH}
        )
    if position not in SignaturePosition.values:
        raise ValidationError(_("Choose where the signature goes."))
    User.objects.filter(pk=user.pk).update(
        chat_signature=signature, chat_signature_position=position
    )
    user.chat_signature, user.chat_signature_position = signature, position
