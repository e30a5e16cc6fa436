"""API: automations."""

from fastapi import APIRouter

router = APIRouter(tags=["automations"])
