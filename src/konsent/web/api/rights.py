"""API: rights."""

from fastapi import APIRouter

router = APIRouter(tags=["rights"])
