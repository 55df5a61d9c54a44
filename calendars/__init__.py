"""Calendar providers: busy-time sync and destination events, one interface per provider.

``model`` holds the types every provider speaks, ``provider`` the interface, ``mapping`` the pure mapping
of a booking to an event, ``busy`` which events block time, and ``caldav_provider`` the CalDAV adapter.
"""
