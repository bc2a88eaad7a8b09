import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from rest_framework import serializers

LATITUDE_VALIDATORS = [MinValueValidator(-90.0), MaxValueValidator(90.0)]
LONGITUDE_VALIDATORS = [MinValueValidator(-180.0), MaxValueValidator(180.0)]

# Every primary key is a signed 64-bit integer on SQLite and PostgreSQL alike. A larger
# integer from a client overflows the database driver (a 500), so ids are checked first.
ID_MAX = 2**63 - 1
ID_DIGITS_MAX = len(str(ID_MAX))


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as 'America/Chicago'.")


def storable_text(value: str) -> bool:
    """No NUL (PostgreSQL refuses it) and no lone surrogate (no database driver can encode one).

    DRF's and Django's form CharFields check both; views that read JSON themselves call this.
    """
    return "\x00" not in value and not any("\ud800" <= char <= "\udfff" for char in value)


def required_text(errors: dict, field: str, value, *, missing: str, limit: int, too_long: str = "") -> str:
    """`value` stripped; records in `errors[field]` why it is empty or longer than `limit`."""
    text = (value or "").strip()
    if not text:
        errors[field] = missing
    elif len(text) > limit:
        errors[field] = too_long or f"Keep the {field.replace('_', ' ')} under {limit} characters."
    return text


def required_case_and_reason(errors: dict, case_number, reason, *, missing_reason: str) -> tuple[str, str]:
    """A case number (up to 64 characters) and a reason (up to 500), both required, stripped."""
    case_number = required_text(
        errors,
        "case_number",
        case_number,
        missing="A case number is required.",
        limit=64,
        too_long="A case number has at most 64 characters.",
    )
    reason = required_text(errors, "reason", reason, missing=missing_reason, limit=500)
    return case_number, reason


def is_id(value) -> bool:
    """A JSON integer (never a bool or a float) that a row's id could be."""
    return type(value) is int and 1 <= value <= ID_MAX


class IdField(serializers.IntegerField):
    """An id a client sends: a whole number from 1 to ID_MAX, documented so in the schema."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


class IdConverter:
    """`<id:pk>` in a URL: an id in the database's range; anything else is not found (404)."""

    regex = f"[0-9]{{1,{ID_DIGITS_MAX}}}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= ID_MAX:
            raise ValueError(f"{value} is not an id")  # Django: no match, so 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))
