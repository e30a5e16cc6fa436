"""API: webhooks."""

from fastapi import APIRouter

router = APIRouter(tags=["webhooks"])
