"""API: events."""

from fastapi import APIRouter

router = APIRouter(tags=["events"])
