"""API: decide."""

from fastapi import APIRouter

router = APIRouter(tags=["decide"])
