"""The routing store on SQLite and PostgreSQL: form versions, responses, decisions and booking links."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.routing_forms import RoutingForm, validate_answers
from routing.engine import decide
from store import routing
from tests.routing_integration.support import sales_form

T0 = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)


async def test_every_form_version_is_kept_and_an_unchanged_save_keeps_the_version(any_db):
    form = RoutingForm.model_validate(sales_form())
    async with any_db.transaction() as session:
        assert (await routing.save_form(session, form)).version == 1
        assert (await routing.save_form(session, form)).version == 1
        renamed = await routing.save_form(session, form.model_copy(update={"name": "Talk to us"}))
    assert renamed.version == 2
    async with any_db.sessions() as session:
        assert (await routing.get_form(session, form.id)).name == "Talk to us"
        assert (await routing.get_form(session, form.id, 1)).name == "Talk to sales"


async def test_a_response_is_decided_once_linked_to_one_booking_and_found_by_email(any_db):
    form = RoutingForm.model_validate(sales_form())
    values = validate_answers(form, {"email": "Kim@BigCorp.com", "seats": 3})
    async with any_db.transaction() as session:
        await routing.save_form(session, form)
        stored, token = await routing.add_response(
            session, form, {"email": "Kim@BigCorp.com"}, values, "Kim@BigCorp.com", T0
        )
    assert stored.id >= routing.RESPONSE_ID_FLOOR  # random, beyond 32 bits (BIGINT on PostgreSQL)
    async with any_db.sessions() as session:
        assert await routing.decided_responses(session, form.id) == []
        kept = await routing.get_response(session, stored.id)
    assert kept.token_matches(token) and not kept.token_matches(token + "x") and not kept.token_matches(None)
    assert kept.booking_token_hash != token  # only the hash is stored
    first = decide(form, values)
    other = first.model_copy(update={"route_id": "r-other"})
    async with any_db.transaction() as session:
        assert (await routing.record_decision(session, stored.id, first, T0)).route_id == "r-fallback"
    async with any_db.transaction() as session:
        assert (await routing.record_decision(session, stored.id, other, T0)).route_id == "r-fallback"
    async with any_db.transaction() as session:
        await routing.link_booking(session, stored.id, "uid-1", 2, 11, T0)
    async with any_db.transaction() as session:
        with pytest.raises(routing.AlreadyBooked):
            await routing.link_booking(session, stored.id, "uid-2", 2, 11, T0)
    async with any_db.sessions() as session:
        (decided,) = await routing.decided_responses(session, form.id)
        assert (decided.email, decided.booking_uid) == ("kim@bigcorp.com", "uid-1")
        assert await routing.booked_recently(session, form.id, "KIM@bigcorp.com", T0 - timedelta(minutes=60))
        assert not await routing.booked_recently(session, form.id, "kim@bigcorp.com", T0 + timedelta(seconds=1))
        (record,) = await routing.assignment_history(session, [11], T0 - timedelta(days=1))
        assert (record.user_id, record.event_type_id) == (2, 11)
    async with any_db.transaction() as session:
        await routing.unlink_booking(session, "uid-1")
    async with any_db.sessions() as session:
        assert (await routing.get_response(session, stored.id)).booking_uid is None
        assert await routing.assignment_history(session, [11], T0 - timedelta(days=1)) == []


async def test_versions_keep_their_author_and_a_deleted_form_keeps_its_responses(any_db):
    form = RoutingForm.model_validate(sales_form())
    async with any_db.transaction() as session:
        await routing.save_form(session, form, author="user:ada (id 1)")
        await routing.save_form(session, form.model_copy(update={"name": "Talk to us"}), author="cli:ops")
        values = validate_answers(form, {"email": "kim@bigcorp.com"})
        stored, _ = await routing.add_response(
            session, form, {"email": "kim@bigcorp.com"}, values, "kim@bigcorp.com", T0
        )
    async with any_db.sessions() as session:
        listed = await routing.list_versions(session, form.id)
    assert [(v.version, v.author, v.form.name) for v in listed] == [
        (1, "user:ada (id 1)", "Talk to sales"),
        (2, "cli:ops", "Talk to us"),
    ]
    async with any_db.transaction() as session:
        assert await routing.delete_form(session, form.id)
    async with any_db.sessions() as session:
        assert await routing.get_form(session, form.id) is None
        assert (await routing.get_response(session, stored.id)).form_id == form.id
        assert len(await routing.list_versions(session, form.id)) == 2
    async with any_db.transaction() as session:  # re-created: its versions continue, never collide
        assert (await routing.save_form(session, form)).version == 3
