"""The hash chain that makes the ledger tamper-evident.

Each event's `body` is canonical JSON; its hash is SHA-256 over the previous hash and the body,
so changing, removing, adding or reordering an event breaks the chain at a place that can be named.
Personal evidence is not in the body, only its salted digest: erasing the evidence later leaves
every hash intact (Art. 17 GDPR without losing the proof that something was recorded).
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import methodcaller
from typing import Any

GENESIS = bytes(32)


def canonical(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(previous: bytes, body: bytes) -> bytes:
    return hashlib.sha256(previous + body).digest()


def evidence_digest(salt: str, evidence: Any) -> str:
    return hashlib.sha256(salt.encode() + canonical(evidence)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One stored event as the verifier sees it: its position, identity and hash links."""

    seq: int
    event_id: str
    previous: bytes
    body: bytes
    hash: bytes
    columns_match_body: bool = True  # the queryable copies (seq, type, customer) agree with the body


@dataclass(frozen=True, slots=True)
class Break:
    seq: int
    event_id: str
    problem: str  # edited | deleted | inserted | reordered
    detail: str


class Walk:
    """The fast path of verification: the chain read in batches, each checked with list operations
    that run at C speed, keeping nothing but the position and the last hash.

    A batch holds, per event in stored seq order: seq, `previous + body` as stored (previous
    exactly 32 bytes), hash and id (UTF-8). It passes when the seqs count on from the last batch,
    every previous is the hash before it, every hash is recomputed and every id is its body's own.
    Stricter than the chain's law is fine — a failing walk sends verification to `find_breaks`,
    which names the breaks — looser never.

    Bodies are read where `append` writes things: canonical JSON, in which only scalars follow the
    top-level id and organisation. A body that verifies but was not written so can only come from
    someone who recomputed every later link and the head, who could as well have made the copies
    agree. For the same reason the organisation is read from the first body alone: every later
    body is linked to it, and a chain's bodies are all appended for one organisation.
    """

    def __init__(self, organisation: str) -> None:
        self.events = 0
        self.last = GENESIS
        self._organisation = b',"organisation":' + canonical(organisation) + b',"recorded_at":"'

    def step(self, seqs: Sequence[int], links: Sequence[bytes], hashes: Sequence[bytes], ids: Sequence[bytes]) -> bool:
        first = self.events + 1
        if not (
            tuple(seqs) == tuple(range(first, first + len(seqs)))
            and all(map(bytes.startswith, links, (self.last, *hashes[:-1])))
            and list(map(_digest, map(hashlib.sha256, links))) == list(hashes)
            and all(map(bytes.startswith, links, map(_ID.__mod__, ids), map(bytes.rfind, links, repeat(_ID_AT))))
            and (self.events or _at_last(links[0], _ORGANISATION_AT, self._organisation))
        ):
            return False
        self.events += len(seqs)
        self.last = hashes[-1]
        return True


# Only scalars follow them, so the last occurrence of each key is the body's own, whatever `data` holds.
_ID_AT = b',"id":"'
_ID = b',"id":"%s","occurred_at":"'
_ORGANISATION_AT = b',"organisation":"'
_digest = methodcaller("digest")


def _at_last(body: bytes, key: bytes, member: bytes) -> bool:
    return body.startswith(member, body.rfind(key))


def find_breaks(rows: Sequence[ChainRow], head: tuple[int, bytes] | None) -> list[Break]:
    """Name every event where the chain breaks, and how. Rows come ordered by their stored seq."""
    breaks: dict[int, Break] = {}

    def report(index: int, problem: str, detail: str) -> None:
        row = rows[index]
        breaks.setdefault(index, Break(row.seq, row.event_id, problem, detail))

    position = {row.hash: index for index, row in enumerate(rows)}
    claimed: dict[bytes, list[int]] = {}
    for index, row in enumerate(rows):
        claimed.setdefault(row.previous, []).append(index)

    for index, row in enumerate(rows):
        if link(row.previous, row.body) != row.hash:
            report(index, "edited", "its content no longer matches its hash")
        elif not row.columns_match_body:
            try:
                body_seq = json.loads(row.body).get("seq")
            except (ValueError, AttributeError):
                body_seq = None
            if body_seq != row.seq and body_seq in {r.seq for r in rows}:
                report(index, "reordered", f"recorded as event {body_seq}, now stored at {row.seq}")
            else:
                report(index, "edited", "its stored columns no longer match its recorded content")

    expected = GENESIS
    for index, row in enumerate(rows):
        previous_seq = rows[index - 1].seq if index else 0
        if row.previous != expected:
            origin = position.get(row.previous)
            if origin is None and row.seq > previous_seq + 1:
                last_missing = row.seq - 1
                missing = f"{previous_seq + 1}" + (f"–{last_missing}" if last_missing > previous_seq + 1 else "")
                report(index, "deleted", f"event(s) {missing} before it are missing")
            elif origin is None and index:
                report(index - 1, "edited", "its hash was recomputed after a change")
            elif origin is not None and origin > index:
                report(index, "reordered", "the event it follows comes after it")
            elif origin is not None:
                for between in range(origin + 1, index):
                    if not claimed.get(rows[between].hash):
                        report(between, "inserted", "no later event follows from it")
        if row.seq > previous_seq + 1 and index not in breaks and row.previous == expected:
            report(index, "deleted", f"event(s) before {row.seq} are missing")
        expected = row.hash

    if head is not None and rows and (rows[-1].seq, rows[-1].hash) != head:
        last = len(rows) - 1
        if head[0] > rows[-1].seq:
            report(last, "deleted", f"events after it up to {head[0]} are missing")
        elif head[0] < rows[-1].seq:
            for index, row in enumerate(rows):
                if row.seq > head[0]:
                    report(index, "inserted", "it was added behind the ledger's back")
        else:
            report(last, "edited", "it differs from the ledger's recorded head")
    elif head is not None and not rows and head[0] > 0:
        breaks[-1] = Break(1, "", "deleted", f"all {head[0]} events are missing")
    return [breaks[index] for index in sorted(breaks)]
