"""`bookflow dev --caldav`'s set-up: a calendar per user on a real Radicale, connected, selected and the
destination, so the first booking shows up in it."""

from store import calendars
from testkit.radicale import RadicaleServer
from testkit.stack import ORGANIZER, Stack, event_type, eventually, seed
from tests.calendars.test_end_to_end import at, our_events
from worker.dev_caldav import connect_users


async def test_each_user_gets_a_calendar_and_bookings_appear_in_it(stack: Stack):
    with RadicaleServer() as radicale:  # as `bookflow dev --caldav` runs it: any password
        await seed(stack.db, event_type(1, length_in_minutes=30))
        [url] = await connect_users(stack.db, radicale.url)
        assert url == f"{radicale.url}/{ORGANIZER.username}/bookings/"
        assert await connect_users(stack.db, radicale.url) == [url]  # a restart connects nothing twice
        async with stack.db.sessions() as session:
            [connection] = await calendars.list_connections(session)
            assert connection.status == "ok"
            destination = await calendars.destination_for(session, ORGANIZER.id)
        assert destination is not None and destination.external_id == url
        booked = await stack.book(1, at(14))
        [event] = await eventually(lambda: our_events(radicale, url), lambda found: len(found) == 1)
        assert str(event["uid"]) == f"{booked['uid']}@bookflow"
