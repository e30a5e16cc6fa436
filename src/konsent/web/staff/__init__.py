"""The staff UI (server-rendered): the owner's and the data protection officer's konsent."""

from fastapi import APIRouter

router = APIRouter(prefix="/staff", include_in_schema=False)
