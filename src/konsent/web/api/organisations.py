"""API: the caller's organisation and its API keys; organisations made by a vendor's platform."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from konsent.errors import Conflict
from konsent.services import api_keys, organisation_settings, organisations
from konsent.services.api_keys import ApiKeyView
from konsent.storage import tables as t
from konsent.web.api import idempotency, ids
from konsent.web.api.auth import Platform, Reader, Writer
from konsent.web.api.models import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiKeyCreated,
    ApiKeyOut,
    NewApiKey,
    NewOrganisation,
    OrganisationCreated,
    OrganisationOut,
    OrganisationSettings,
)
from konsent.web.api.paging import Cursor, Limit, Page, page, paged
from konsent.web.api.values import actor
from konsent.web.deps import konsent_of
from konsent.web.errors import ApiError

router = APIRouter(tags=["organisations"])


@router.get("/organisation", responses=READ_ERRORS)
def show(request: Request, caller: Reader) -> OrganisationOut:
    return OrganisationOut.model_validate(organisation_settings.show(konsent_of(request), caller.organisation_id))


@router.patch("/organisation", responses=WRITE_ERRORS)
def change(request: Request, caller: Writer, settings: OrganisationSettings) -> OrganisationOut:
    changed = organisation_settings.change(konsent_of(request), caller.organisation_id,
                                           settings.model_dump(exclude_unset=True, mode="json"),
                                           actor=actor(caller))
    return OrganisationOut.model_validate(changed)


@router.post("/organisations", status_code=201, dependencies=[Platform], responses=WRITE_ERRORS)
def create(request: Request, new: NewOrganisation) -> OrganisationCreated:
    """A vendor's platform adds an organisation (authorised by the platform token, not an API key)
    and gets its first read+write API key, shown only in this answer. The slug makes a retry
    harmless: a second request with it is refused with 409."""
    app = konsent_of(request)
    extra = new.model_dump(include={"logo_url", "imprint", "privacy_url"}, exclude_none=True)
    organisation_settings.check(extra)  # refused before anything is written
    try:
        created = organisations.create(
            app, slug=new.slug, name=new.name, jurisdiction=new.jurisdiction.value, locale=new.locale,
            timezone=new.timezone, similar_categories=new.similar_categories, sender_name=new.sender_name,
            sender_address=new.sender_address, reading=new.reading.value)
    except Conflict as taken:
        raise ApiError(409, "conflict", str(taken), field="slug") from None
    row = organisation_settings.change(app, created.id, extra) if extra else organisation_settings.show(app, created.id)
    view, plain = api_keys.create(app, created.id, name=new.api_key_name, scopes=["read", "write"],
                                  actor="platform")
    return OrganisationCreated(organisation=OrganisationOut.model_validate(row), api_key=_created(view, plain))


@router.get("/api-keys", responses=READ_ERRORS)
def list_keys(request: Request, caller: Reader, limit: Limit = 50, cursor: Cursor = None) -> Page[ApiKeyOut]:
    """Every key of the organisation, revoked ones too, oldest first; never a key's secret."""
    with konsent_of(request).db.unit_of_work() as session:
        k = t.ApiKey
        rows = list(session.scalars(paged(select(k).where(k.organisation_id == caller.organisation_id),
                                          k.created_at, k.id, cursor, limit)))
        return page(rows, limit, lambda r: (r.created_at, r.id), ApiKeyOut.model_validate)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated, responses=WRITE_ERRORS)
async def create_key(request: Request, caller: Writer, new: NewApiKey) -> JSONResponse:
    """A new key; its secret (`key`) is in this answer only. A retry with the same Idempotency-Key
    creates nothing and gets 409, because the secret is not kept to be shown again."""
    app = konsent_of(request)

    def run() -> ApiKeyCreated:
        view, plain = api_keys.create(app, caller.organisation_id, name=new.name, scopes=list(new.scopes),
                                      actor=actor(caller))
        return _created(view, plain)

    return idempotency.replay_or_run(request, caller, await idempotency.fingerprint(request), run, 201,
                                     shown_once=("key",))


@router.delete("/api-keys/{key_id}", responses=WRITE_ERRORS)
def revoke_key(request: Request, caller: Writer, key_id: str) -> ApiKeyOut:
    """Revoked at once; revoking again changes nothing."""
    view = api_keys.revoke(konsent_of(request), caller.organisation_id, ids.checked("API key", key_id),
                           actor=actor(caller))
    return ApiKeyOut.model_validate(view)


def _created(view: ApiKeyView, plain: str) -> ApiKeyCreated:
    return ApiKeyCreated(**ApiKeyOut.model_validate(view).model_dump(), key=plain)
