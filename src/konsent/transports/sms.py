"""SMS. For now a file per message in the outbox; HTTP providers will sit behind the same interface."""

import re
from pathlib import Path

from konsent.errors import InputError
from konsent.transports import OutgoingMessage
from konsent.transports.file import write_atomically

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class FileSmsTransport:
    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    async def send(self, message: OutgoingMessage) -> str:
        if message.channel != "sms":
            raise InputError("channel", "the SMS transport carries SMS only")
        if not E164.match(message.to):
            raise InputError("to", "must be an E.164 phone number")
        path = self.outbox / f"{message.id}.txt"
        document = f"To: {message.to}\nFrom: {message.sender}\nDate: {message.date.isoformat()}\n\n{message.text}"
        write_atomically(path, document.encode("utf-8"))
        return path.name
