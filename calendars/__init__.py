"""Calendar providers: busy-time sync and destination events, one interface per provider.

``model`` holds the types every provider speaks, ``provider`` the interface, ``mapping`` the pure mapping
of a booking to an event, ``busy`` which events block time; the adapters: ``caldav_provider`` (CalDAV),
``google_provider`` (Google Calendar), ``graph_provider`` (Microsoft Graph), ``ics_provider`` (read-only
ICS feeds); ``oauth`` the token endpoint calls (code exchange, refresh).
"""
