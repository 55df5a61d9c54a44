"""Cal.com's webhook wire format (payload version 2021-10-20): the JSON bodies subscribers receive.

``booking`` builds the booking triggers' bodies from the per-trigger tables of ``shapes``, with people
and times (``people``, ``times``), booking-form answers (``responses``) and conferencing (``video``) in
the styles each trigger uses; ``non_booking`` builds the routing-form, out-of-office, wrong-assignment
and ping bodies. The example payloads of Cal.com's Webhooks guide are the reference
(tests/webhooks/golden/).
"""
