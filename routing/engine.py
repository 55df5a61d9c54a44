"""The form-level decision: route selection, attribute routing, CRM owner, host choice, and the trace.

Rules are compiled once per form version (``compiled_form`` caches by form id and version) into
Python closures; a decision only calls them. Everything a decision reads is passed in, including the
CRM owner the caller looked up (``domain.crm.OwnerDecision``), so a decision is pure and can be
replayed under new rules.
"""

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.crm import OwnerDecision
from domain.host_choice import choose_host
from domain.routing_forms import (
    AssignmentReason,
    AttributeMatch,
    CrmStep,
    HostChoice,
    Route,
    RouteResult,
    RoutingContext,
    RoutingDecision,
    RoutingEventType,
    RoutingForm,
    RoutingHost,
    RoutingTrace,
)
from routing.attributes import (
    AttributeRule,
    attribute_weights,
    compile_attribute_rule,
    match_members,
    member_attribute_data,
    resolve_field_refs,
)
from routing.calcom_logic import CALCOM
from routing.jsonlogic import JsonLogicError, Node, compile_node
from routing.jsvalues import truthy
from routing.querybuilder import to_jsonlogic
from routing.validation import validate_form


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    logic: Any | None
    node: Node | None
    attributes: AttributeRule | None
    fallback_attributes: AttributeRule | None
    matched: RouteResult
    unmatched: RouteResult

    def result(self, matched: bool, error: str | None = None) -> RouteResult:
        """This route's trace entry; the two common ones are built once, at compile time."""
        if error is not None:
            return self.matched.model_copy(update={"matched": False, "error": error})
        return self.matched if matched else self.unmatched


@dataclass(frozen=True)
class CompiledForm:
    """A form with every rule compiled; routes in evaluation order, the fallback last."""

    form: RoutingForm
    routes: tuple[CompiledRoute, ...]
    field_keys: tuple[tuple[str, str], ...]


def _route_logic(route: Route) -> Any | None:
    return route.json_logic if route.json_logic is not None else to_jsonlogic(route.query_value)


def _compile_route(route: Route) -> CompiledRoute:
    logic = None if route.is_fallback else _route_logic(route)
    result = RouteResult(
        route_id=route.id,
        route_name=route.name,
        is_fallback=route.is_fallback,
        matched=True,
        empty_rule=logic is None and not route.is_fallback,
    )
    return CompiledRoute(
        route=route,
        logic=logic,
        node=compile_node(logic, CALCOM) if logic is not None else None,
        matched=result,
        unmatched=result.model_copy(update={"matched": False}),
        attributes=compile_attribute_rule(route.attributes_query_value)
        if route.attributes_query_value is not None
        else None,
        fallback_attributes=compile_attribute_rule(route.fallback_attributes_query_value)
        if route.fallback_attributes_query_value is not None
        else None,
    )


def compile_form(form: RoutingForm) -> CompiledForm:
    """Validate and compile ``form``; raises ``FormValidationError`` for a form that cannot route."""
    validate_form(form)
    ordered = [r for r in form.routes if not r.is_fallback] + [r for r in form.routes if r.is_fallback]
    keys = tuple((f.key, f.id) for f in form.fields if f.key != f.id)
    return CompiledForm(form, tuple(_compile_route(r) for r in ordered), keys)


def fingerprint(form: RoutingForm) -> str:
    """A digest of the form's content, so an edit without a version bump is never served stale rules."""
    return hashlib.sha256(form.model_dump_json().encode()).hexdigest()


class CompiledFormCache:
    """Compiled forms by (form id, version, content digest), least recently used evicted first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.compilations = 0
        self._forms: OrderedDict[tuple[str, int, str], CompiledForm] = OrderedDict()

    def get(self, form: RoutingForm) -> CompiledForm:
        key = (form.id, form.version, fingerprint(form))
        compiled = self._forms.get(key)
        if compiled is None:
            compiled = compile_form(form)
            self.compilations += 1
            self._forms[key] = compiled
            if len(self._forms) > self.size:
                self._forms.popitem(last=False)
        else:
            self._forms.move_to_end(key)
        return compiled


FORM_CACHE = CompiledFormCache()


def compiled_form(form: RoutingForm) -> CompiledForm:
    """The compiled form for this id, version and content, compiling it on first use only.

    The result is also memoized on the form object, so deciding many submissions with the same
    form object costs no lookup at all (a copy of the form is a different object and looks again).
    """
    memo = form._compiled
    if memo is not None and memo[0] is form and memo[1] is not None:
        return memo[1]
    compiled = FORM_CACHE.get(form)
    form._compiled = (form, compiled)
    return compiled


def rule_data(compiled: CompiledForm, values: Mapping[str, Any]) -> dict[str, Any]:
    """What rules read: values by field id, plus by identifier for hand-written JsonLogic rules."""
    data = dict(values)
    for key, field_id in compiled.field_keys:
        if field_id in values and key not in data:
            data[key] = values[field_id]
    return data


def select_route(compiled: CompiledForm, data: Mapping[str, Any]) -> tuple[CompiledRoute, list[RouteResult]]:
    """The first route whose rule matches (an empty rule matches); the fallback is tried last."""
    results: list[RouteResult] = []
    for entry in compiled.routes:
        route = entry.route
        error = None
        if route.is_fallback or entry.node is None:
            matched = True
        else:
            try:
                matched = truthy(entry.node(data, None))
            except JsonLogicError as failure:
                matched, error = False, f"the rule failed to evaluate: {failure}"
        results.append(entry.result(matched, error))
        if matched:
            return entry, results
    raise AssertionError("a validated form always has a fallback route")


def _attribute_match(
    entry: CompiledRoute, compiled: CompiledForm, values: Mapping[str, Any], context: RoutingContext
) -> AttributeMatch | None:
    if entry.attributes is None:
        return None
    attributes = {a.id: a for a in context.attributes}
    refs = entry.attributes.field_refs | (
        entry.fallback_attributes.field_refs if entry.fallback_attributes else frozenset()
    )
    fields = resolve_field_refs(refs, compiled.form.field_by_id(), values, attributes)
    data = member_attribute_data(context.attributes, context.assignments)
    match = match_members(entry.attributes, entry.fallback_attributes, context.members, data, fields)
    if entry.route.attribute_id_for_weights:
        match.weights = attribute_weights(entry.route.attribute_id_for_weights, context.assignments)
    return match


def _event_type(route: Route, context: RoutingContext) -> RoutingEventType | None:
    if route.action.type != "eventTypeRedirectUrl":
        return None
    return next((e for e in context.event_types if e.id == route.action.event_type_id), None)


def _crm_step(
    route: Route, event_type: RoutingEventType | None, crm_owner: OwnerDecision | None, crm_app_slug: str | None
) -> CrmStep | None:
    """Whether the CRM owner the caller found is used (Cal.com: only if they host the event type)."""
    if crm_owner is None:
        return None
    steps = [s.wire() for s in crm_owner.trace]
    base = {
        "crm_app_slug": crm_app_slug,
        "owner_email": crm_owner.owner_email,
        "record_type": crm_owner.record_type,
        "steps": steps,
    }
    config = route.attribute_routing_config
    if config is not None and config.skip_contact_owner:
        return CrmStep(used=False, reason="the route skips the contact owner", **base)
    if crm_owner.owner_email is None:
        return CrmStep(used=False, reason="the CRM found no owner", **base)
    if event_type is None:
        return CrmStep(used=False, reason="the route does not lead to a known event type", **base)
    if event_type.scheduling_type != "roundRobin":
        return CrmStep(used=False, reason="the event type is not round robin", **base)
    owner = crm_owner.owner_email.lower()
    if not any(h.email.lower() == owner for h in event_type.hosts):
        return CrmStep(used=False, reason=f"{crm_owner.owner_email} is not a host of the event type", **base)
    return CrmStep(used=True, reason=f"{crm_owner.owner_email} owns the record and hosts the event type", **base)


def _host_pool(event_type: RoutingEventType, match: AttributeMatch | None) -> list[RoutingHost]:
    if match is None or match.matched_user_ids is None:
        return list(event_type.hosts)
    routed = set(match.matched_user_ids)
    return [h for h in event_type.hosts if h.user_id in routed]


def _choose(
    event_type: RoutingEventType | None,
    match: AttributeMatch | None,
    crm: CrmStep | None,
    context: RoutingContext,
    notes: list[str],
) -> HostChoice | None:
    if event_type is None or event_type.scheduling_type != "roundRobin":
        return None
    if crm is not None and crm.used and crm.owner_email:
        owner = next(h for h in event_type.hosts if h.email.lower() == crm.owner_email.lower())
        return HostChoice(
            user_id=owner.user_id, email=owner.email, reason="the CRM record owner, who hosts the event type"
        )
    pool = _host_pool(event_type, match)
    if not pool:
        notes.append("no round-robin host of the event type is among the routed team members")
        return None
    history = [r for r in context.history if r.event_type_id in (None, event_type.id)]
    return choose_host(pool, history, match.weights if match is not None else None)


def _reason(is_fallback: bool, crm: CrmStep | None, crm_app_slug: str | None) -> AssignmentReason:
    if crm is not None and crm.used and crm_app_slug == "salesforce":
        return "SALESFORCE_ASSIGNMENT"
    return "ROUTING_FORM_ROUTING_FALLBACK" if is_fallback else "ROUTING_FORM_ROUTING"


_NO_CONTEXT = RoutingContext()


def decide(
    form: RoutingForm,
    values: Mapping[str, Any],
    context: RoutingContext | None = None,
    crm_owner: OwnerDecision | None = None,
    crm_app_slug: str | None = None,
) -> RoutingDecision:
    """Decide one submission. Pure: no I/O, same inputs give the same decision and trace.

    ``values`` are the answers keyed by field id, as ``domain.routing_forms.validate_answers``
    returns them. ``context`` holds members, attributes, event types and the assignment history;
    ``crm_owner`` is the CRM lookup the caller made (``crm_app_slug`` names that CRM).
    """
    context = context or _NO_CONTEXT
    compiled = compiled_form(form)
    entry, results = select_route(compiled, rule_data(compiled, values))
    route = entry.route
    notes: list[str] = []
    match = _attribute_match(entry, compiled, values, context)
    event_type = _event_type(route, context)
    if route.action.type == "eventTypeRedirectUrl" and event_type is None:
        notes.append(f"event type {route.action.event_type_id} is not in the routing context: no host chosen")
    crm = _crm_step(route, event_type, crm_owner, crm_app_slug)
    host = _choose(event_type, match, crm, context, notes)
    config = route.attribute_routing_config
    return RoutingDecision(
        form_id=form.id,
        form_version=form.version,
        route_id=route.id,
        route_name=route.name,
        is_fallback=route.is_fallback,
        action=route.action,
        team_member_ids=match.matched_user_ids if match is not None else None,
        team_member_email=crm.owner_email if crm is not None and crm.used else None,
        skip_contact_owner=bool(config and config.skip_contact_owner),
        crm_app_slug=crm_app_slug if crm is not None and crm.used else None,
        crm_owner_record_type=crm.record_type if crm is not None and crm.used else None,
        host_user_id=host.user_id if host else None,
        host_email=host.email if host else None,
        assignment_reason=_reason(route.is_fallback, crm, crm_app_slug),
        trace=RoutingTrace(
            routes=results,
            fallback_used=route.is_fallback,
            attributes=match,
            crm=crm,
            host=host,
            notes=notes,
        ),
    )
