"""Doctor checks of the message and CRM providers' credentials, through their own client libraries.

Every call is read-only (SendGrid's scopes, Twilio's account, an SMTP login, HubSpot's owners), and
a provider that is not configured gets a line saying it was skipped and why.
"""

import asyncio
import smtplib
from collections.abc import Callable

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

from crm.hubspot.settings import HubSpotSettings
from worker.ops.checks import Check
from worker.settings import CrmSettings, MessagingSettings


def _sendgrid(settings: MessagingSettings) -> Check:
    name = "SendGrid credentials"
    if not (settings.sendgrid_api_key and settings.sendgrid_email):
        return Check(name, "skip", "not configured (SENDGRID_API_KEY and SENDGRID_EMAIL unset)")
    client = SendGridAPIClient(api_key=settings.sendgrid_api_key.get_secret_value(), host=settings.sendgrid_host)
    client.client.timeout = settings.provider_timeout_seconds
    fix = "create an API key with the Mail Send permission and set SENDGRID_API_KEY"
    try:
        answer = client.client.scopes.get()
    except HTTPError as refused:
        return Check(name, "fail", f"SendGrid refused the API key (HTTP {refused.status_code})", fix)
    except OSError as down:
        return Check(
            name,
            "fail",
            f"cannot reach {settings.sendgrid_host}: {down}",
            "check BOOKFLOW_SENDGRID_HOST and the network",
        )
    scopes = set(answer.to_dict.get("scopes", []))
    if "mail.send" not in scopes:
        return Check(name, "fail", "the API key is valid but lacks the mail.send scope", fix)
    return Check(name, "pass", f"API key accepted with mail.send (sender {settings.sendgrid_email})")


def _smtp(settings: MessagingSettings) -> Check:
    name = "SMTP credentials"
    if settings.sendgrid_api_key and settings.sendgrid_email:
        return Check(name, "skip", "SendGrid is the email provider")
    if not settings.email_server_host:
        return Check(name, "skip", "not configured (EMAIL_SERVER_HOST unset; email goes to the outbox)")
    where = f"{settings.email_server_host}:{settings.email_server_port}"
    try:
        with smtplib.SMTP(
            settings.email_server_host, settings.email_server_port, timeout=settings.provider_timeout_seconds
        ) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
            if settings.email_server_user:
                password = settings.email_server_password.get_secret_value() if settings.email_server_password else ""
                smtp.login(settings.email_server_user, password)
    except smtplib.SMTPAuthenticationError as refused:
        return Check(
            name,
            "fail",
            f"{where} refused the login ({refused.smtp_code})",
            "check EMAIL_SERVER_USER and EMAIL_SERVER_PASSWORD",
        )
    except (OSError, smtplib.SMTPException) as down:
        return Check(name, "fail", f"cannot talk to {where}: {down}", "check EMAIL_SERVER_HOST and EMAIL_SERVER_PORT")
    login = "login accepted" if settings.email_server_user else "no login configured, server answered"
    return Check(name, "pass", f"{where}: {login}")


def _twilio(settings: MessagingSettings) -> Check:
    name = "Twilio credentials"
    sender = settings.twilio_messaging_sid or settings.twilio_phone_number
    if not (settings.twilio_sid and settings.twilio_token and sender):
        return Check(name, "skip", "not configured (TWILIO_SID, TWILIO_TOKEN and a sender unset; SMS go to the outbox)")
    client = TwilioClient(
        settings.twilio_sid,
        settings.twilio_token.get_secret_value(),
        http_client=TwilioHttpClient(timeout=settings.provider_timeout_seconds),
        environment={"BOOKFLOW": "1"},
    )
    client.api.base_url = settings.twilio_api_url
    try:
        account = client.api.v2010.accounts(settings.twilio_sid).fetch()
    except TwilioRestException as refused:
        return Check(
            name,
            "fail",
            f"Twilio refused the credentials (HTTP {refused.status}: {refused.msg})",
            "check TWILIO_SID and TWILIO_TOKEN",
        )
    except OSError as down:
        return Check(name, "fail", f"cannot reach Twilio: {down}", "check BOOKFLOW_TWILIO_API_URL and the network")
    if account.status != "active":
        return Check(name, "fail", f"the account is {account.status}", "reactivate the Twilio account")
    return Check(name, "pass", f"account {account.sid} is active")


def _hubspot(settings: HubSpotSettings) -> Check:
    name = "HubSpot credentials"
    from crm.hubspot.connection import HubSpotConnection

    if not settings.configured:
        return Check(name, "skip", "not configured (HUBSPOT_ACCESS_TOKEN or OAuth settings unset)")
    try:
        HubSpotConnection(settings).call("doctor", lambda c: c.crm.owners.owners_api.get_page(limit=1))
    except Exception as refused:  # the adapter wraps every client error in its own types
        return Check(
            name,
            "fail",
            f"HubSpot refused: {type(refused).__name__}: {refused}",
            "check HUBSPOT_ACCESS_TOKEN (or the OAuth client and refresh token)",
        )
    return Check(name, "pass", "owners API answered")


def _salesforce(settings: CrmSettings) -> Check:
    name = "Salesforce credentials"
    from worker.crm import salesforce_connection

    connection = salesforce_connection(settings)
    if connection is None:
        return Check(name, "skip", "not configured (SALESFORCE_USERNAME or SALESFORCE_ACCESS_TOKEN unset)")
    try:
        connection.describe("Account")  # read-only, and proves the session may read the org's schema
    except Exception as refused:  # simple-salesforce and the adapter raise several types
        return Check(
            name,
            "fail",
            f"Salesforce refused: {type(refused).__name__}: {refused}",
            "check SALESFORCE_USERNAME/PASSWORD/SECURITY_TOKEN (or the access token), SALESFORCE_DOMAIN",
        )
    return Check(name, "pass", f"{connection.login_host} answered a describe of Account")


CHECKS: list[Callable[[MessagingSettings], Check]] = [_sendgrid, _smtp, _twilio]


async def provider_checks(settings: MessagingSettings, crm: CrmSettings, hubspot: HubSpotSettings) -> list[Check]:
    """One line per provider; the calls are blocking client libraries, so they run in threads."""
    found = [await asyncio.to_thread(check, settings) for check in CHECKS]
    found.append(await asyncio.to_thread(_hubspot, hubspot))
    found.append(await asyncio.to_thread(_salesforce, crm))
    return found
