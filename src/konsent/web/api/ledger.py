"""API: ledger."""

from fastapi import APIRouter

router = APIRouter(tags=["ledger"])
