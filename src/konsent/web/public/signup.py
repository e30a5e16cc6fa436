"""Public page: signup."""

from fastapi import APIRouter

router = APIRouter()
