"""Email over SMTP with aiosmtplib: STARTTLS, implicit TLS or (for a local relay) neither."""

import aiosmtplib

from konsent.config import SmtpSettings
from konsent.errors import InputError
from konsent.transports import OutgoingMessage, TransportError, mime

SECURITY = ("starttls", "tls", "none")


class SmtpTransport:
    def __init__(self, settings: SmtpSettings) -> None:
        if not settings.host:
            raise InputError("smtp.host", "must be set to send by SMTP")
        if settings.security not in SECURITY:
            raise InputError("smtp.security", f"must be one of {', '.join(SECURITY)}")
        self.settings = settings

    async def send(self, message: OutgoingMessage) -> str:
        if message.channel != "email":
            raise InputError("channel", "SMTP carries email only")
        mail = mime.build(message)
        s = self.settings
        try:
            await aiosmtplib.send(
                mail, hostname=s.host, port=s.port, username=s.username, password=s.password,
                use_tls=s.security == "tls", start_tls=s.security == "starttls", timeout=s.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({refusal.code for refusal in exc.recipients})
            raise TransportError(f"smtp: the server refused the recipient ({codes})",
                                 permanent=all(code >= 500 for code in codes)) from None
        except aiosmtplib.SMTPConnectError as exc:
            raise TransportError(f"smtp: cannot connect to the server ({type(exc).__name__})",
                                 permanent=False) from None
        except aiosmtplib.SMTPResponseException as exc:
            # The server's own words are not kept: they often quote the recipient's address.
            raise TransportError(f"smtp: the server answered {exc.code}", permanent=exc.code >= 500) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TransportError(f"smtp: delivery broke off ({type(exc).__name__})", permanent=False) from None
        return mime.message_id(message)
