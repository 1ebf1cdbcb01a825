from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #10b981."))
