"""The transport the settings choose for a channel: SMTP when a host is set, an SMS provider when one
is named; otherwise the outbox folder, so that development sends nothing to anyone."""

from konsent.config import Settings
from konsent.errors import InputError
from konsent.transports import Transport
from konsent.transports.file import FileTransport
from konsent.transports.sms import FileSmsTransport
from konsent.transports.smtp import SmtpTransport


def transport_for(settings: Settings, channel: str) -> Transport:
    outbox = settings.data_dir / "outbox"
    if channel == "email":
        return SmtpTransport(settings.smtp) if settings.smtp.host else FileTransport(outbox)
    if channel == "sms":
        if settings.sms.provider == "file":
            return FileSmsTransport(outbox)
        from konsent.transports.sms_http import HttpSmsTransport  # noqa: PLC0415 - httpx only when configured

        return HttpSmsTransport(settings.sms)
    raise InputError("channel", "konsent sends by email or sms")
