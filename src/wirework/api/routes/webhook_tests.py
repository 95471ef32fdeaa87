"""/api/workflows/{id}/test-webhook: arm, inspect and disarm a workflow's test webhook URLs
(``/webhook-test/…``), which take one call while armed (see services/webhook_tests.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from wirework.api.deps import CanEdit, CurrentUser, DbId, RuntimeDep, SessionDep, current_user
from wirework.schemas.webhook_tests import WebhookTestOut
from wirework.services import webhook_tests as svc

router = APIRouter(prefix="/workflows", tags=["workflows"], dependencies=[Depends(current_user)])


@router.post(
    "/{workflow_id}/test-webhook",
    response_model=WebhookTestOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[CanEdit],
    summary=f"Arm the workflow's test webhook URLs: the next call within {svc.TEST_LISTEN_S} s "
    "runs its newest version (mode test)",
)
async def arm_test_webhook(
    workflow_id: DbId, session: SessionDep, runtime: RuntimeDep, user: CurrentUser
) -> WebhookTestOut:
    return await svc.arm(session, workflow_id, user_id=user.id, base_url=runtime.settings.base_url)


@router.get(
    "/{workflow_id}/test-webhook",
    response_model=WebhookTestOut,
    summary="The test webhook: listening, called (with its execution id) or expired",
)
async def get_test_webhook(
    workflow_id: DbId, session: SessionDep, runtime: RuntimeDep
) -> WebhookTestOut:
    return await svc.get(session, workflow_id, base_url=runtime.settings.base_url)


@router.delete(
    "/{workflow_id}/test-webhook",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[CanEdit],
    summary="Disarm the test webhook (its URLs answer 404 again)",
)
async def disarm_test_webhook(workflow_id: DbId, session: SessionDep) -> None:
    await svc.disarm(session, workflow_id)
