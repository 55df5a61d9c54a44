"""Emulators of the providers, each on its own loopback port for one test."""

from collections.abc import Iterator

import pytest

from testkit.sendgrid import SendGridEmulator
from testkit.twilio import TwilioEmulator

SENDGRID_KEY = "SG.test-key-not-secret"
SENDER = "reminders@bookflow.example"
TWILIO_SID = "AC00000000000000000000000000000001"
TWILIO_TOKEN = "twilio-test-token"


@pytest.fixture
def sendgrid() -> Iterator[SendGridEmulator]:
    emulator = SendGridEmulator(api_key=SENDGRID_KEY, verified_senders={SENDER})
    yield emulator
    emulator.close()


@pytest.fixture
def twilio() -> Iterator[TwilioEmulator]:
    emulator = TwilioEmulator(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN)
    yield emulator
    emulator.close()
