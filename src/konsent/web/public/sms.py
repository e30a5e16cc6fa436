"""Public page: sms."""

from fastapi import APIRouter

router = APIRouter()
