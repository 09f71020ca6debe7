"""Sending mail: the SMTP adapter (plain, STARTTLS or implicit TLS; credentials from the env).

``build_message`` is pure; ``send_message`` talks to the server and translates every failure
into :class:`~ecitizen.errors.DeliveryError`.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from ecitizen.config import SmtpConfig
from ecitizen.errors import DeliveryError


def build_message(
    *, sender: str, recipients: Sequence[str], subject: str, text: str, html: str, date: datetime
) -> EmailMessage:
    """A multipart/alternative message: the plain-text part first, then the HTML part."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    return ctx


def send_message(msg: EmailMessage, smtp: SmtpConfig, *, ca_file: str | None = None) -> list[str]:
    """Send to ``smtp.recipients``; returns them. Raises DeliveryError."""
    recipients = list(smtp.recipients)
    if not recipients:
        raise DeliveryError("no recipients: set smtp.recipients in the config")
    user, password = smtp.username(), smtp.password()
    try:
        client: smtplib.SMTP
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=tls_context(ca_file))
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            client.ehlo()
            if smtp.security == "starttls":
                client.starttls(context=tls_context(ca_file))
                client.ehlo()
            if user and password:
                client.login(user, password)
            refused = client.send_message(msg, from_addr=smtp.sender, to_addrs=recipients)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise DeliveryError(f"mail to {smtp.host}:{smtp.port} ({smtp.security}) failed: {exc}") from exc
    if refused:
        raise DeliveryError(f"refused recipients: {', '.join(sorted(refused))}")
    return recipients
