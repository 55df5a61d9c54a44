"""The longest text a caller may send, by kind: a longer value is refused with a 400 naming the field.

Generous for people (Cal.com's own limits are of the same order) and small enough that no stored row,
workflow payload or rendered message grows without bound.
"""

NAME = 255  # names, titles, labels, slugs, identifiers, time zones
TEXT = 10_000  # descriptions, notes, messages, free-text answers
URL = 2_048  # what browsers and proxies reliably carry
EMAIL = 320  # RFC 5321: a 64-character local part, "@", a 255-character domain
PHONE = 32  # E.164 is at most 15 digits; room for spaces and punctuation as typed
