"""Signatures against published vectors and verifiers, templates in the sandbox, secrets kept secret."""

import json

import pytest
from standardwebhooks import Webhook

from activities.webhooks import _content
from domain.signing import cal_signature, signed_headers, standard_signature, standard_verifier_secret
from domain.triggers import Trigger
from templates.payloads.booking import build_body
from templates.webhook_body import FORM_TYPE, JSON_TYPE, TemplateInvalid, check_template, render_body
from testkit.stack import event_type, seed
from tests.webhooks.samples import sample_booking
from tests.webhooks.test_golden_payloads import CREATED_AT


def test_standard_webhooks_signature_matches_the_svix_test_vector():
    signature = standard_signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_cal_signature_matches_githubs_published_hmac_vector_and_says_when_unsigned():
    expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert cal_signature("It's a Secret to Everybody", b"Hello, World!") == expected
    assert cal_signature(None, b"{}") == "no-secret-provided"


@pytest.mark.parametrize("secret", ["plain text secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
def test_the_standardwebhooks_verifier_accepts_our_headers(secret):
    import time

    body = b'{"triggerEvent":"BOOKING_CREATED"}'
    headers = signed_headers(secret, "msg_1", int(time.time()), body, JSON_TYPE, "2021-10-20", "Bookflow/test")
    assert Webhook(standard_verifier_secret(secret)).verify(body, headers) == {"triggerEvent": "BOOKING_CREATED"}
    assert "webhook-signature" not in signed_headers(None, "msg_1", 1, body, JSON_TYPE, "2021-10-20", "B/1")


def test_templates_render_dotted_and_indexed_paths_and_stay_valid_json():
    body = build_body(Trigger.BOOKING_CREATED, sample_booking(title='Say "hi"'), CREATED_AT, {})
    template = (
        '{"name": "{{title}}", "booker": "{{attendees.0.name}}", "who": "{{organizer.name}}", "x": "{{no.such}}"}'
    )
    content, kind = render_body(template, body)
    assert kind == JSON_TYPE
    assert json.loads(content) == {"name": 'Say "hi"', "booker": "Bo Booker", "who": "Ada Organizer", "x": ""}
    assert render_body("t={{triggerEvent}}&at={{createdAt}}", body) == (
        b"t=BOOKING_CREATED&at=2024-07-01T10:05:00.123Z",
        FORM_TYPE,
    )


def test_templates_run_in_the_sandbox_and_bad_ones_are_refused():
    body = build_body(Trigger.BOOKING_CREATED, sample_booking(), CREATED_AT, {})
    with pytest.raises(TemplateInvalid, match="unsafe"):
        render_body("{{ title.__class__.__mro__[1].__subclasses__() }}", body)
    with pytest.raises(TemplateInvalid):
        check_template("{{ title ")


def test_meeting_started_ignores_the_template():
    from datetime import UTC, datetime

    from domain.webhooks import Subscription

    now = datetime.now(UTC)
    sub = Subscription(
        id="s", subscriber_url="http://x", triggers=[Trigger.MEETING_STARTED], payload_template="x={{uid}}",
        created_at=now, updated_at=now,
    )  # fmt: skip
    body = build_body(Trigger.MEETING_STARTED, sample_booking(), CREATED_AT, {})
    content, kind = _content(body, sub)
    assert kind == JSON_TYPE and json.loads(content)["triggerEvent"] == "MEETING_STARTED"


async def test_the_secret_is_never_returned(stack):
    await seed(stack.db, event_type(1))
    secret = "s3cr3t-value-never-shown"
    created = await stack.http.post(
        "/v2/event-types/1/webhooks",
        json={"subscriberUrl": "http://127.0.0.1:9/h", "triggers": ["BOOKING_CREATED"], "secret": secret},
    )
    assert created.status_code == 201
    webhook_id = created.json()["data"]["id"]
    patched = await stack.http.patch(f"/v2/event-types/1/webhooks/{webhook_id}", json={"secret": secret + "2"})
    listed = await stack.http.get("/v2/event-types/1/webhooks")
    for response in (created, patched, listed):
        assert secret not in response.text and "secret" not in json.dumps(response.json()["data"]).replace(
            "hasSecret", ""
        )
    assert created.json()["data"]["hasSecret"] is True
