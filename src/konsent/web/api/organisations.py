"""API: organisations."""

from fastapi import APIRouter

router = APIRouter(tags=["organisations"])
