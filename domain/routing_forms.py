"""Routing forms as Cal.com stores them, the inputs a routing decision needs, and the decision itself.

Shapes follow Cal.com (routing-forms/zod.ts): fields with ids and identifiers, ordered routes whose
rule is a react-awesome-query-builder tree (``queryValue``) or plain JsonLogic, one fallback route,
and attribute rules over org attributes. The rules themselves are checked and evaluated by
``routing/``; this module holds the types and the checks of a single submission's answers.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import ConfigDict, Field, PrivateAttr, model_validator

from domain.base import CamelModel
from domain.text_bounds import NAME, TEXT

FieldType = Literal["text", "textarea", "email", "phone", "number", "select", "multiselect", "radio", "checkbox"]
SINGLE_CHOICE: frozenset[str] = frozenset({"select", "radio"})
MULTI_CHOICE: frozenset[str] = frozenset({"multiselect", "checkbox"})
TEXTUAL: frozenset[str] = frozenset({"text", "textarea", "email", "phone"})


class FieldOption(CamelModel):
    """A choice of a select-like field. Legacy options have no id; rules then compare labels."""

    id: str | None = Field(default=None, max_length=NAME)
    label: str = Field(min_length=1, max_length=NAME)

    @property
    def key(self) -> str:
        """What a stored answer and a rule hold for this option: its id, else its label."""
        return self.id if self.id is not None else self.label


class FormField(CamelModel):
    id: str = Field(min_length=1, max_length=NAME)
    label: str = Field(min_length=1, max_length=NAME)
    identifier: str | None = Field(default=None, max_length=NAME)
    type: FieldType
    required: bool = False
    placeholder: str | None = Field(default=None, max_length=TEXT)
    options: list[FieldOption] = []
    deleted: bool = False

    @property
    def key(self) -> str:
        """The name answers, webhooks and templates use: the identifier, else the label."""
        return self.identifier or self.label

    @property
    def is_choice(self) -> bool:
        return self.type in SINGLE_CHOICE or (self.type in MULTI_CHOICE and bool(self.options))

    @model_validator(mode="after")
    def _choices_have_options(self) -> "FormField":
        if self.type in ("select", "multiselect", "radio") and not self.options:
            raise ValueError(f"field {self.key!r}: a {self.type} field needs at least one option")
        return self


RouteActionType = Literal["eventTypeRedirectUrl", "externalRedirectUrl", "customPageMessage"]


class RouteAction(CamelModel):
    """Where a matching route sends the submitter."""

    type: RouteActionType
    value: str = Field(default="", max_length=TEXT)  # a URL or a message
    event_type_id: int | None = None

    @model_validator(mode="after")
    def _complete(self) -> "RouteAction":
        if self.type == "eventTypeRedirectUrl" and self.event_type_id is None:
            raise ValueError("action: eventTypeRedirectUrl needs eventTypeId")
        if self.type == "externalRedirectUrl" and not self.value.startswith(("https://", "http://")):
            raise ValueError("action: externalRedirectUrl needs an http(s) URL in value")
        if self.type == "customPageMessage" and not self.value.strip():
            raise ValueError("action: customPageMessage needs the message in value")
        return self


class AttributeRoutingConfig(CamelModel):
    skip_contact_owner: bool = False
    salesforce: dict[str, Any] | None = None


class Route(CamelModel):
    """One route: a rule over the answers (query-builder tree or JsonLogic) and an action."""

    id: str = Field(min_length=1, max_length=NAME)
    name: str | None = Field(default=None, max_length=NAME)
    query_value: dict[str, Any] | None = None
    json_logic: Any = None
    action: RouteAction
    is_fallback: bool = False
    attributes_query_value: dict[str, Any] | None = None
    fallback_attributes_query_value: dict[str, Any] | None = None
    attribute_id_for_weights: str | None = Field(default=None, max_length=NAME)
    attribute_routing_config: AttributeRoutingConfig | None = None

    @property
    def label(self) -> str:
        return self.name or self.id

    @model_validator(mode="after")
    def _one_rule(self) -> "Route":
        if self.query_value is not None and self.json_logic is not None:
            raise ValueError(f"route {self.label!r}: give queryValue or jsonLogic, not both")
        return self


class RoutingForm(CamelModel):
    """A routing form. ``version`` grows with every change; compiled rules are cached per version."""

    id: str = Field(min_length=1, max_length=NAME)
    name: str = Field(min_length=1, max_length=NAME)
    description: str = Field(default="", max_length=TEXT)
    version: int = Field(default=1, ge=1)
    team_id: int | None = None
    user_id: int | None = None
    fields: list[FormField] = Field(min_length=1)
    routes: list[Route] = Field(min_length=1)
    settings: dict[str, Any] = {}
    disabled: bool = False
    # routing.engine memoizes the compiled rules here as (this form, compiled); treat forms as immutable
    _compiled: Any = PrivateAttr(default=None)

    def field_by_id(self) -> dict[str, FormField]:
        return {f.id: f for f in self.fields}


# ---------------------------------------------------------------------------------------------------
# attributes and the people a decision chooses from

AttributeType = Literal["TEXT", "NUMBER", "SINGLE_SELECT", "MULTI_SELECT"]


class AttributeOption(CamelModel):
    id: str = Field(min_length=1, max_length=NAME)
    value: str = Field(max_length=NAME)
    slug: str | None = Field(default=None, max_length=NAME)
    is_group: bool = False
    contains: list[Annotated[str, Field(max_length=NAME)]] = []


class Attribute(CamelModel):
    """An org attribute (e.g. "Region") with its options; users are assigned options of it."""

    id: str = Field(min_length=1, max_length=NAME)
    name: str = Field(min_length=1, max_length=NAME)
    slug: str | None = Field(default=None, max_length=NAME)
    type: AttributeType
    options: list[AttributeOption] = []
    enabled: bool = True
    is_weights_enabled: bool = False


class AttributeAssignment(CamelModel):
    """A user holds an option of an attribute (select types) or a value (TEXT, NUMBER), with a weight."""

    user_id: int
    attribute_id: str
    option_id: str | None = None
    value: str | None = None
    weight: int | None = Field(default=None, ge=0)


class TeamMember(CamelModel):
    user_id: int
    email: str
    name: str | None = None


class RoutingHost(CamelModel):
    """A round-robin host of an event type, as host choice sees it."""

    user_id: int
    email: str
    weight: int = Field(default=100, ge=0)
    priority: int = Field(default=2, ge=0, le=4)


class RoutingEventType(CamelModel):
    id: int
    slug: str | None = None
    scheduling_type: Literal["collective", "roundRobin", "managed"] | None = None
    hosts: list[RoutingHost] = []


class AssignmentRecord(CamelModel):
    """A past assignment of a host, the state that makes host choice fair and deterministic."""

    user_id: int
    assigned_at: datetime
    event_type_id: int | None = None


class RoutingContext(CamelModel):
    """Everything besides the form and the answers that a decision reads. Passed in; never fetched."""

    members: list[TeamMember] = []
    attributes: list[Attribute] = []
    assignments: list[AttributeAssignment] = []
    event_types: list[RoutingEventType] = []
    history: list[AssignmentRecord] = []


# ---------------------------------------------------------------------------------------------------
# the decision and its trace

AssignmentReason = Literal["ROUTING_FORM_ROUTING", "ROUTING_FORM_ROUTING_FALLBACK", "SALESFORCE_ASSIGNMENT"]


class RouteResult(CamelModel):
    """One route tried: did its rule match (or fail to evaluate, which counts as no match).

    Frozen: the engine builds the matched/unmatched result of each route once per form version.
    """

    model_config = ConfigDict(**CamelModel.model_config, frozen=True)

    route_id: str
    route_name: str | None = None
    is_fallback: bool = False
    matched: bool
    empty_rule: bool = False
    error: str | None = None


class AttributeMatch(CamelModel):
    """The team members selected by the route's attribute rules, and how."""

    matched_user_ids: list[int] | None = Field(description="None: the rule is empty, every member matches")
    checked_fallback: bool = False
    reason: str
    weights: dict[int, int] = {}


class CrmStep(CamelModel):
    """The CRM owner the caller looked up, and whether routing used it."""

    crm_app_slug: str | None = None
    owner_email: str | None = None
    record_type: str | None = None
    used: bool
    reason: str
    steps: list[dict[str, Any]] = []


class HostCandidate(CamelModel):
    user_id: int
    email: str
    weight: int
    priority: int
    assignments: int
    last_assigned_at: datetime | None = None
    shortfall: float


class HostChoice(CamelModel):
    """The host chosen among the selected round-robin hosts, with every candidate's standing."""

    user_id: int
    email: str
    reason: str
    candidates: list[HostCandidate] = []


class RoutingTrace(CamelModel):
    routes: list[RouteResult] = []
    fallback_used: bool = False
    attributes: AttributeMatch | None = None
    crm: CrmStep | None = None
    host: HostChoice | None = None
    notes: list[str] = []


class RoutingDecision(CamelModel):
    """What a form decided for one submission, with the full trace of why."""

    form_id: str
    form_version: int
    route_id: str
    route_name: str | None = None
    is_fallback: bool
    action: RouteAction
    team_member_ids: list[int] | None = None
    team_member_email: str | None = None
    skip_contact_owner: bool = False
    crm_app_slug: str | None = None
    crm_owner_record_type: str | None = None
    host_user_id: int | None = None
    host_email: str | None = None
    assignment_reason: AssignmentReason
    trace: RoutingTrace

    def outcome(self) -> tuple:
        """What replay compares: the route, its action, the routed members and the CRM owner."""
        return (
            self.route_id,
            self.action.type,
            self.action.event_type_id,
            self.action.value,
            tuple(self.team_member_ids) if self.team_member_ids is not None else None,
            self.team_member_email,
        )


# ---------------------------------------------------------------------------------------------------
# checking one submission's answers


class AnswerError(ValueError):
    """A bad answer; ``field`` names the form field (its identifier or label)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list) and len(value) == 0)


def _choice(field: FormField, raw: Any) -> str:
    """An option given by id or by label (case-insensitive), as its stored key."""
    text = str(raw)
    for option in field.options:
        if option.id is not None and option.id == text:
            return option.key
    for option in field.options:
        if option.label.lower() == text.lower():
            return option.key
    raise AnswerError(field.key, f"{text!r} is not one of its options")


def _number(field: FormField, raw: Any) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise AnswerError(field.key, "should be a number")
    try:
        number = float(raw)
    except ValueError:
        raise AnswerError(field.key, f"{raw!r} should be a number") from None
    return int(number) if number.is_integer() else number


def _text(field: FormField, raw: Any) -> str:
    if not isinstance(raw, str):
        raise AnswerError(field.key, "should be text")
    text = raw.strip()
    if field.type == "email":
        try:
            validate_email(text, check_deliverability=False)
        except EmailNotValidError:
            raise AnswerError(field.key, f"{text!r} should be a valid email") from None
    if field.type == "phone":
        try:
            valid = phonenumbers.is_valid_number(phonenumbers.parse(text, None))
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            raise AnswerError(field.key, f"{text!r} should be a phone number in international form (+…)")
    return text


def normalize_answer(field: FormField, raw: Any) -> Any:
    """One answer as rules see it: option keys for choices, numbers for number fields, text otherwise."""
    if any(isinstance(item, str) and len(item) > TEXT for item in (raw if isinstance(raw, list) else [raw])):
        raise AnswerError(field.key, f"should be at most {TEXT} characters")
    if field.type in SINGLE_CHOICE:
        return _choice(field, raw[0] if isinstance(raw, list) and len(raw) == 1 else raw)
    if field.type in MULTI_CHOICE and field.options:
        items = raw if isinstance(raw, list) else [raw]
        return [_choice(field, item) for item in items]
    if field.type == "checkbox":
        if not isinstance(raw, bool):
            raise AnswerError(field.key, "should be true or false")
        return raw
    if field.type == "number":
        return _number(field, raw)
    return _text(field, raw)


def validate_answers(form: RoutingForm, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Check a submission and return its values keyed by field id (how rules and storage key them).

    ``answers`` are keyed by field identifier (Cal.com's API), label, or id. Unknown keys, e.g. the
    reserved ``cal.*`` parameters, are ignored. Raises ``AnswerError`` naming the first bad field.
    """
    values: dict[str, Any] = {}
    for field in form.fields:
        if field.deleted:
            continue
        raw = next((answers[k] for k in (field.identifier, field.label, field.id) if k and k in answers), None)
        if _is_blank(raw):
            if field.required:
                raise AnswerError(field.key, "is required")
            continue
        values[field.id] = normalize_answer(field, raw)
    return values
