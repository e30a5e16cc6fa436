"""API: customers."""

from fastapi import APIRouter

router = APIRouter(tags=["customers"])
