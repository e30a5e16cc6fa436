"""Development delivery: every message becomes a file in the outbox instead of leaving the machine.

Email is written as `<id>.eml` (open it in any mail program), SMS as `<id>.txt`.
"""

import os
import tempfile
from email import policy
from pathlib import Path

from konsent.errors import InputError
from konsent.transports import OutgoingMessage, TransportError, mime


def write_atomically(path: Path, data: bytes) -> None:
    """Whoever watches the outbox never sees half a message."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        raise TransportError(f"file: cannot write to the outbox ({exc.strerror})", permanent=False) from None


class FileTransport:
    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    async def send(self, message: OutgoingMessage) -> str:
        if message.channel != "email":
            raise InputError("channel", "the file transport writes email; use the SMS file transport")
        path = self.outbox / f"{message.id}.eml"
        write_atomically(path, mime.build(message).as_bytes(policy=policy.SMTP))
        return path.name
