from __future__ import annotations

from fastapi import APIRouter, Depends

from wirework.api.deps import current_user

router = APIRouter(prefix="/workflows", tags=["workflows"], dependencies=[Depends(current_user)])
