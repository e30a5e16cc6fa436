"""Public page: unsubscribe."""

from fastapi import APIRouter

router = APIRouter()
