"""Public page: preferences."""

from fastapi import APIRouter

router = APIRouter()
