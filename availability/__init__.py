"""The availability engine: schedules, event-type limits and busy intervals → slots and the booking-time check.

Pure and deterministic: no I/O, no clock (``now`` is an argument). Times are handled as epoch seconds in
sorted interval lists so a month of ten busy hosts takes milliseconds.
"""
