"""API: texts."""

from fastapi import APIRouter

router = APIRouter(tags=["texts"])
