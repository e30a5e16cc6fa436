"""Public page: doi."""

from fastapi import APIRouter

router = APIRouter()
