"""dayjs format strings (Cal.com's ``{EVENT_DATE_ddd, MMM D, YYYY h:mma}``) applied to aware datetimes.

The moment is formatted in whatever zone it carries; callers convert it to the recipient's zone first,
so the offset is the one in force on the event's own date (Cal.com used today's offset instead).
"""

import re
from datetime import datetime

# dayjs's own token set (plus the advancedFormat plugin's Do, Q, k, X, x and z), longest first.
TOKEN = re.compile(
    r"\[([^\]]*)]|YYYY|YY|MMMM|MMM|MM|M|Do|DD|D|dddd|ddd|dd|d|HH|H|hh|h|kk|k|mm|m|ss|s|SSS|ZZ|Z|A|a|Q|X|x|z"
)


# English names, independent of the process locale.
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _hour12(moment: datetime) -> int:
    return moment.hour % 12 or 12


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _offset(moment: datetime, separator: str) -> str:
    total = int(moment.utcoffset().total_seconds() // 60) if moment.utcoffset() is not None else 0
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}{separator}{minutes:02d}"


RENDER = {
    "YYYY": lambda m: f"{m.year:04d}",
    "YY": lambda m: f"{m.year % 100:02d}",
    "MMMM": lambda m: MONTHS[m.month - 1],
    "MMM": lambda m: MONTHS[m.month - 1][:3],
    "MM": lambda m: f"{m.month:02d}",
    "M": lambda m: str(m.month),
    "Do": lambda m: _ordinal(m.day),
    "DD": lambda m: f"{m.day:02d}",
    "D": lambda m: str(m.day),
    "dddd": lambda m: WEEKDAYS[m.weekday()],
    "ddd": lambda m: WEEKDAYS[m.weekday()][:3],
    "dd": lambda m: WEEKDAYS[m.weekday()][:2],
    "d": lambda m: str(m.isoweekday() % 7),
    "HH": lambda m: f"{m.hour:02d}",
    "H": lambda m: str(m.hour),
    "hh": lambda m: f"{_hour12(m):02d}",
    "h": lambda m: str(_hour12(m)),
    "kk": lambda m: f"{m.hour or 24:02d}",
    "k": lambda m: str(m.hour or 24),
    "mm": lambda m: f"{m.minute:02d}",
    "m": lambda m: str(m.minute),
    "ss": lambda m: f"{m.second:02d}",
    "s": lambda m: str(m.second),
    "SSS": lambda m: f"{m.microsecond // 1000:03d}",
    "ZZ": lambda m: _offset(m, ""),
    "Z": lambda m: _offset(m, ":"),
    "A": lambda m: "AM" if m.hour < 12 else "PM",
    "a": lambda m: "am" if m.hour < 12 else "pm",
    "Q": lambda m: str((m.month - 1) // 3 + 1),
    "X": lambda m: str(int(m.timestamp())),
    "x": lambda m: str(int(m.timestamp() * 1000)),
    "z": lambda m: m.tzname() or "",
}


def format_dayjs(moment: datetime, pattern: str) -> str:
    """``moment`` formatted like dayjs(moment).format(pattern), in English."""

    def token(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        return RENDER[match.group(0)](moment)

    return TOKEN.sub(token, pattern)
