"""Phone numbers as Cal.com takes them: E.164, with the plus and the country code."""

import phonenumbers


def check_e164(number: str) -> str:
    """``number`` in E.164 form if it is a valid international phone number, else ValueError saying so."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not number.startswith("+") or not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{number!r} is not a phone number in international format, such as +14155550123")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def optional_e164(number: str | None) -> str | None:
    """A field validator for an optional phone number."""
    return None if number is None else check_e164(number)
