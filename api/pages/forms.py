"""``/forms/{formId}``: a routing form rendered from its definition, decided by the API's own submit.

The answers go to ``api.routing_forms.submit`` (the handler of ``POST /v2/routing-forms/{id}/responses``);
then, as the decision says, the visitor is sent to the routed event type's booking page (with the response
id and its one-time booking token, as the API's ``routingRedirectUrl``), shown the custom message, or sent
to the external URL. Each field's problem is shown beside it, in the API's words.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from api import routing_forms
from api.context import ApiContext, Ctx
from api.errors import ApiError
from api.pages.render import Question, error_page, page, place, posted_values, see_other
from domain.routing_forms import AnswerError, FormField, RoutingForm, validate_answers
from domain.routing_responses import booking_redirect_url
from store import config
from store import routing as routing_store

router = APIRouter(include_in_schema=False)


def _kind(field: FormField) -> str:
    """How the page asks a field: checkboxes with options are a box per option, without one yes/no box."""
    if field.type == "multiselect" or (field.type == "checkbox" and field.options):
        return "multi"
    return "boolean" if field.type == "checkbox" else field.type


def _questions(form: RoutingForm) -> list[tuple[FormField, Question]]:
    return [
        (
            field,
            Question(
                key=f"field-{field.id}",
                html_id=f"q{number}",
                kind=_kind(field),
                label=field.label,
                required=field.required,
                options=tuple((o.key, o.label) for o in field.options),
                placeholder=field.placeholder or "",
                autocomplete={"email": "email", "phone": "tel"}.get(field.type, ""),
            ),
        )
        for number, field in enumerate((f for f in form.fields if not f.deleted), start=1)
    ]


def _answers(form: RoutingForm, posted: FormData) -> dict[str, Any]:
    """The posted form as the API's answers, keyed by field id (a blank field is left out)."""
    answers: dict[str, Any] = {}
    for field, question in _questions(form):
        if question.kind == "multi":
            if chosen := [str(v) for v in posted.getlist(question.key)]:
                answers[field.id] = chosen
        elif question.kind == "boolean":  # a yes/no box: checked, or not answered
            if posted.get(question.key) is not None:
                answers[field.id] = True
        elif isinstance(value := posted.get(question.key), str) and value.strip():
            answers[field.id] = value
    return answers


def _problems(form: RoutingForm, answers: dict[str, Any]) -> dict[str, str]:
    """Every field's problem at once: the API's check run field by field (it stops at the first)."""
    problems: dict[str, str] = {}
    for field, question in _questions(form):
        try:
            validate_answers(form.model_copy(update={"fields": [field]}), answers)
        except AnswerError as bad:
            problems[question.key] = bad.message
    return problems


def _render(form: RoutingForm, values: dict[str, Any], problems: dict[str, str], status: int = 200) -> HTMLResponse:
    questions = [q for _, q in _questions(form)]
    return page("form.html", status, title=form.name, form=form, questions=questions, values=values, problems=problems)


async def _load(ctx: ApiContext, form_id: str) -> RoutingForm | HTMLResponse:
    async with ctx.db.sessions() as session:
        form = await routing_store.get_form(session, form_id)
    if form is None:  # the API's words for it
        return error_page(404, f"Routing form {form_id} not found")
    if form.disabled:
        return error_page(404, f"Routing form {form_id} is not taking answers")
    return form


@router.get("/forms/{form_id}")
async def form_page(form_id: str, ctx: Ctx) -> HTMLResponse:
    """The form, empty."""
    form = await _load(ctx, form_id)
    return form if isinstance(form, HTMLResponse) else _render(form, {}, {})


@router.post("/forms/{form_id}")
async def submit_form(form_id: str, ctx: Ctx, request: Request) -> Response:
    """Submit the answers to the routing engine and follow its decision."""
    form = await _load(ctx, form_id)
    if isinstance(form, HTMLResponse):
        return form
    posted = await request.form()
    values = posted_values([q for _, q in _questions(form)], posted)
    answers = _answers(form, posted)
    if problems := _problems(form, answers):
        return _render(form, values, problems, status=400)
    try:
        answer = (await routing_forms.submit(form_id, ctx, answers, request)).data
    except ApiError as refused:
        if refused.status != 400:
            return error_page(refused.status, refused.message)
        aliases = {field.key: question.key for field, question in _questions(form)}
        return _render(form, values, place(refused.message, aliases), status=400)
    if "routingCustomMessage" in answer:
        return page("message.html", title=form.name, message=answer["routingCustomMessage"])
    if "routingExternalRedirectUrl" in answer:
        return see_other(answer["routingExternalRedirectUrl"])
    return see_other(await _booking_page(ctx, answer))


async def _booking_page(ctx: ApiContext, answer: dict[str, Any]) -> str:
    """The routed event type's booking page with the response id and one-time token (as the API redirects).

    Built from the event type's owner and slug, so the page is found whatever the route's ``value`` says.
    """
    routing = answer["routing"]
    async with ctx.db.sessions() as session:
        event_type = await config.get_event_type(session, answer["eventTypeId"])
        owner = await config.get_user(session, event_type.hosts[0].user_id) if event_type else None
    if event_type is None or owner is None:  # deleted since the form was saved: the API's link is all there is
        return answer["routingRedirectUrl"]
    return booking_redirect_url(f"{owner.username}/{event_type.slug}", routing["responseId"], routing["bookingToken"])
