"""Who may do what in the staff UI.

    owner   everything
    staff   the day-to-day: customers, consents taken at the desk, campaigns, complaints —
            not the settings, erasure, API keys or staff accounts
    dpo     the data protection officer reads everything and changes nothing

Every page takes one of the dependencies below. A write also proves it comes from konsent's own
form: its CSRF token is bound to the session, so a token from another session is worthless.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from konsent.services import staff
from konsent.services.staff import StaffView
from konsent.web import csrf, sessions
from konsent.web.deps import konsent_of
from konsent.web.errors import ApiError

READ, DESK, OVERSEE, OWN = "read", "desk", "oversee", "own"
ABILITIES: dict[str, frozenset[str]] = {
    "owner": frozenset({READ, DESK, OVERSEE, OWN}),
    "staff": frozenset({READ, DESK}),
    "dpo": frozenset({READ, OVERSEE}),
}
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member, their organisation, and their session."""

    account: StaffView
    organisation_name: str
    timezone: str
    session: sessions.StaffSession

    @property
    def organisation_id(self) -> str:
        return self.account.organisation_id

    @property
    def actor(self) -> str:
        return self.account.actor

    @property
    def lang(self) -> str:
        return self.account.locale

    def may(self, ability: str) -> bool:
        return ability in ABILITIES.get(self.account.role, frozenset())


def form_scope(session: sessions.StaffSession | None) -> str:
    """The CSRF scope of the staff forms: bound to the session, or to the sign-in page before one."""
    return f"staff:{session.nonce}" if session is not None else "staff-login"


def signed_in(request: Request) -> Staff:
    app = konsent_of(request)
    session = sessions.current(request, app.settings, now=app.now())
    found = staff.signed_in(app, session.account_id) if session is not None else None
    if session is None or found is None or found.fingerprint != session.fingerprint:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, "please sign in", headers={
            "Location": "/staff/login" + (f"?next={quote(target, safe='')}" if request.method == "GET" else ""),
        })
    return Staff(found.account, found.organisation_name, found.organisation_timezone, session)


async def checked_form(request: Request, who: Staff) -> None:
    if request.method in _SAFE_METHODS:
        return
    form = await request.form()
    token = form.get(csrf.FIELD)
    try:
        csrf.check(request, konsent_of(request).settings, form_scope(who.session),
                   token if isinstance(token, str) else None)
    except csrf.CsrfRefused:
        raise ApiError(403, "csrf", "this form has expired or did not come from konsent; "
                                    "reload the page and send it again") from None


def _able(ability: str, refusal: str) -> Callable[..., Awaitable[Staff]]:
    async def guard(request: Request, who: Annotated[Staff, Depends(signed_in)]) -> Staff:
        if not who.may(ability):
            raise ApiError(403, "forbidden", refusal.format(role=who.account.role))
        await checked_form(request, who)
        return who

    return guard


# Reading any customer, campaign or complaint; also the person's own preferences and password.
Anyone = Annotated[Staff, Depends(_able(READ, "signed-in staff only"))]
# The day-to-day changes: consents at the desk, complaints, double opt-in requests.
Desk = Annotated[Staff, Depends(_able(DESK, "the role {role} may not change anything here"))]
# The organisation's settings, API keys, staff accounts and audit log, read.
Oversight = Annotated[Staff, Depends(_able(OVERSEE, "only the owner and the data protection officer see this"))]
# Changing settings, API keys and staff accounts; erasing a customer.
Owner = Annotated[Staff, Depends(_able(OWN, "only the owner may do this"))]
