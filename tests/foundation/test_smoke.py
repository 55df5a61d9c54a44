from testkit.stack import event_type, eventually, seed, soon


async def test_booking_is_created_accepted_and_logged(stack):
    await seed(stack.db, event_type(1))
    booking = await stack.book(1, soon(3600))
    assert booking["status"] == "accepted"
    triggers = await eventually(lambda: stack.triggers(booking["uid"]), lambda t: t == ["BOOKING_CREATED"])
    assert triggers == ["BOOKING_CREATED"]
