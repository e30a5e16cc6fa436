"""API: doi."""

from fastapi import APIRouter

router = APIRouter(tags=["doi"])
