"""API: campaigns."""

from fastapi import APIRouter

router = APIRouter(tags=["campaigns"])
