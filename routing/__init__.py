"""The routing engine: pure, deterministic, no I/O. Public surface:

- ``routing.jsonlogic``: ``apply(rule, data)``, ``compile(rule)`` (standard JsonLogic), ``JsonLogicError``.
- ``routing.calcom_logic.CALCOM``: the Cal.com routing-form dialect (``compile(rule, CALCOM)``).
- ``routing.querybuilder.to_jsonlogic(queryValue)``: Cal.com query-builder trees to JsonLogic.
- ``routing.validation.validate_form(form, attributes=None)``: refuse a bad form (``FormValidationError``).
- ``routing.engine.decide(form, values, context, crm_owner, crm_app_slug)``: one decision with its trace.
- host choice is ``domain.host_choice.choose_host`` (shared with round-robin bookings in api/).
- ``routing.replay.replay(form, responses, context, progress)``: what-if over stored responses.
"""
