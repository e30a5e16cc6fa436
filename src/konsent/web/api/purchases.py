"""API: purchases."""

from fastapi import APIRouter

router = APIRouter(tags=["purchases"])
