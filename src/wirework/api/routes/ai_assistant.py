"""The editor's AI assistant: ``/api/ai/assistant`` (which model it asks: everyone signed in
reads, owners and admins choose), ``/api/ai/draft-workflow``, ``/api/ai/explain-error`` and
``/api/ai/write`` (editors and up: they spend on the model). See docs/ai.md, "AI-assisted
building"."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from wirework.api.deps import CanEdit, CurrentUser, RuntimeDep, SessionDep, current_user
from wirework.api.routes.ai import CanAdmin
from wirework.schemas.ai_assistant import (
    AssistantConfigIn,
    AssistantConfigOut,
    DraftIn,
    DraftOut,
    ExplainIn,
    ExplainOut,
    WriteIn,
    WriteOut,
)
from wirework.services import ai_assistant, ai_drafts, ai_helpers

router = APIRouter(prefix="/ai", tags=["ai"], dependencies=[Depends(current_user)])


@router.get("/assistant", response_model=AssistantConfigOut, summary="The assistant's model")
async def get_assistant(session: SessionDep) -> AssistantConfigOut:
    return await ai_assistant.get_config(session)


@router.put(
    "/assistant",
    response_model=AssistantConfigOut,
    dependencies=[CanAdmin],
    summary="Choose the model provider integration and model the assistant asks",
)
async def set_assistant(
    data: AssistantConfigIn, session: SessionDep, user: CurrentUser
) -> AssistantConfigOut:
    return await ai_assistant.set_config(session, data, user)


@router.delete(
    "/assistant",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[CanAdmin],
    summary="Turn the assistant off",
)
async def clear_assistant(session: SessionDep, user: CurrentUser) -> None:
    await ai_assistant.clear_config(session, user)


@router.post(
    "/draft-workflow",
    response_model=DraftOut,
    dependencies=[CanEdit],
    summary="Draft a workflow from a description (validated, never saved)",
)
async def draft_workflow(data: DraftIn, session: SessionDep, runtime: RuntimeDep) -> DraftOut:
    return await ai_drafts.draft_workflow(session, runtime, data)


@router.post(
    "/explain-error",
    response_model=ExplainOut,
    dependencies=[CanEdit],
    summary="Explain a failed step and suggest fixes",
)
async def explain_error(data: ExplainIn, session: SessionDep, runtime: RuntimeDep) -> ExplainOut:
    return await ai_helpers.explain_error(session, runtime, data)


@router.post(
    "/write",
    response_model=WriteOut,
    dependencies=[CanEdit],
    summary="Write an expression or core.code Python from an instruction (syntax-checked)",
)
async def write(data: WriteIn, session: SessionDep, runtime: RuntimeDep) -> WriteOut:
    return await ai_helpers.write(session, runtime, data)
