"""How many decisions per second does the pure `decide` call make on one core?

Builds a mixed corpus of prepared recipients (every jurisdiction, channel and kind; consents,
objections and purchases of every shape), then times `decide` alone — parsing and JSON are
outside the loop. Run: `make bench` or `.venv/bin/python bench/decide.py [--recipients N]`.
"""

import argparse
import os
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from konsent.domain import (
    Channel,
    Consent,
    ConsentMethod,
    ConsentSource,
    Jurisdiction,
    Message,
    MessageKind,
    Objection,
    ObjectionScope,
    Organisation,
    Purchase,
    Purpose,
    Recipient,
    RecipientType,
    Registers,
    Scenario,
    decide,
)

CATEGORIES = ["shoes", "socks", "rackets", "balls", "haircut", "colour", "care", "voucher"]
SIMILAR = (frozenset({"shoes", "socks"}), frozenset({"rackets", "balls"}), frozenset({"haircut", "care"}))
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _when(rng: random.Random, days: int = 1200) -> datetime:
    return NOW - timedelta(days=rng.randint(0, days), minutes=rng.randint(0, 1440))


def _consent(rng: random.Random) -> Consent:
    given = _when(rng)
    return Consent(
        channel=rng.choice(list(Channel)),
        given_at=given,
        purpose=rng.choice([Purpose.ADVERTISING] * 4 + list(Purpose)),
        categories=frozenset(rng.sample(CATEGORIES, rng.choice([0, 0, 0, 1, 2]))),
        method=rng.choice([ConsentMethod.ACTIVE] * 8 + [ConsentMethod.PRE_TICKED, ConsentMethod.IMPLIED]),
        source=rng.choice(list(ConsentSource)),
        doi_confirmed_at=given + timedelta(minutes=3) if rng.random() < 0.6 else None,
        withdrawn_at=given + timedelta(days=rng.randint(1, 300)) if rng.random() < 0.15 else None,
        evidence=rng.random() < 0.9,
        third_party=rng.random() < 0.05,
    )


def _recipient(rng: random.Random) -> Recipient:
    return Recipient(
        type=RecipientType.BUSINESS if rng.random() < 0.2 else RecipientType.CONSUMER,
        consents=tuple(_consent(rng) for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))),
        objections=tuple(
            Objection(
                at=_when(rng, 400),
                channel=rng.choice([None, *Channel]),
                scope=rng.choice([ObjectionScope.ADVERTISING, ObjectionScope.ALL]),
            )
            for _ in range(rng.choice([0, 0, 0, 0, 1]))
        ),
        purchases=tuple(
            Purchase(
                at=_when(rng, 900),
                categories=frozenset(rng.sample(CATEGORIES, rng.randint(1, 2))),
                contact_collected=frozenset(rng.sample(list(Channel), rng.randint(0, 2))),
                objection_notice_at_collection=rng.random() < 0.7,
            )
            for _ in range(rng.choice([0, 1, 1, 2, 3]))
        ),
        transactional_opt_out=rng.random() < 0.03,
        registers=Registers(
            robinson=rng.random() < 0.05, ecg=rng.random() < 0.05,
            star_marked=rng.random() < 0.1, directory_listed=rng.random() < 0.8,
        ),
    )


def corpus(size: int, seed: int = 2026) -> list[Scenario]:
    rng = random.Random(seed)
    organisation = Organisation(similar_categories=SIMILAR)
    scenarios = []
    for _ in range(size):
        kind = rng.choice(list(MessageKind))
        scenarios.append(Scenario(
            jurisdiction=rng.choice(list(Jurisdiction)),
            at=NOW,
            organisation=organisation,
            message=Message(
                channel=rng.choice(list(Channel)),
                kind=kind,
                advertised_categories=frozenset(rng.sample(CATEGORIES, rng.choice([0, 1, 1, 2]))),
                contains_advertising=rng.random() < 0.05 or None,
                includes_opt_out_notice=rng.random() < 0.95,
                automated=rng.random() < 0.9,
            ),
            recipient=_recipient(rng),
        ))
    return scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
    scenarios = corpus(args.recipients)
    outcomes = Counter(decide(s).decision.value for s in scenarios)  # warm-up and a sanity view
    best = float("inf")
    for _ in range(args.rounds):
        start = time.perf_counter()
        for scenario in scenarios:
            decide(scenario)
        best = min(best, time.perf_counter() - start)
    rate = len(scenarios) / best
    print(f"recipients: {len(scenarios):,} (mixed DE/AT/CH, every channel and kind)")
    print(f"outcomes:   {dict(outcomes)}")
    print(f"decide():   {rate:,.0f} decisions/s on one core "
          f"({best / len(scenarios) * 1e6:.2f} µs each, best of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
