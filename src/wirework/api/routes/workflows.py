"""/api/workflows: versioned workflow documents; /api/node-types: the node catalogue."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from wirework.api.bodies import BadContentLength, BodyTooLarge, read_capped
from wirework.api.deps import CanEdit, CurrentUser, RuntimeDep, SessionDep, current_user
from wirework.errors import FieldError, InvalidInput, ServiceError
from wirework.schemas.common import Page
from wirework.schemas.document import (
    MAX_ID,
    DocumentFormat,
    errors_from_pydantic,
)
from wirework.schemas.node_types import NodeTypeOut
from wirework.schemas.workflows import (
    TagCount,
    ValidationResult,
    WorkflowCreate,
    WorkflowOut,
    WorkflowPatch,
    WorkflowUpdate,
    WorkflowVersionOut,
    WorkflowVersionSummary,
)
from wirework.services import node_types, workflow_tags
from wirework.services import workflows as svc
from wirework.services.executions import delete_stored_outputs

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"}
JSON_TYPES = {"application/json"}
_REQUEST_PARTS = {"body", "query", "path", "header", "cookie"}


class _DocumentRoute(APIRoute):
    """Request validation errors as the service's errors: paths without the `body.` prefix
    and with the node concerned (``nodes[1].retry.max_attempts``, node_id)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise InvalidInput(_request_errors(exc)) from None

        return route_handler


DocumentRoute = _DocumentRoute  # for other routers' endpoints that take document parts


def _request_errors(exc: RequestValidationError) -> list[FieldError]:
    out: list[FieldError] = []
    body = getattr(exc, "body", None)
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        if loc and loc[0] in _REQUEST_PARTS:
            loc = loc[1:]
        if err.get("type") == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "invalid JSON")
            out.append(FieldError("document", f"malformed JSON: {detail}"))
            continue
        out += errors_from_pydantic([{**err, "loc": tuple(loc)}], body)
    return out or [FieldError("document", "invalid request")]


router = APIRouter(
    prefix="/workflows",
    tags=["workflows"],
    dependencies=[Depends(current_user)],
    route_class=_DocumentRoute,
)
node_types_router = APIRouter(
    prefix="/node-types", tags=["node types"], dependencies=[Depends(current_user)]
)

WorkflowId = Annotated[int, Path(ge=1, le=MAX_ID, description="Workflow id")]
FormatQ = Annotated[
    DocumentFormat | None,
    Query(description="Format of the body; default: from its Content-Type"),
]
_TEXT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": f"A workflow document as JSON or YAML (at most {MAX_DOCUMENT_BYTES} bytes)",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


class PayloadTooLarge(ServiceError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(ServiceError):
    status_code = 415
    code = "unsupported_media_type"


async def _read_document(
    request: Request, fmt: DocumentFormat | None
) -> tuple[bytes, DocumentFormat]:
    """The raw body (bounded in size) and its format."""
    if fmt is None:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type in JSON_TYPES or content_type.endswith("+json"):
            fmt = "json"
        elif content_type in YAML_TYPES or content_type.endswith("+yaml") or not content_type:
            fmt = "yaml"
        else:
            raise UnsupportedMediaType(
                f"content-type {content_type!r}: send application/json or application/yaml "
                "(or pass ?format=json|yaml)"
            )
    try:
        return await read_capped(request, MAX_DOCUMENT_BYTES), fmt
    except BodyTooLarge:
        raise PayloadTooLarge(f"document: larger than {MAX_DOCUMENT_BYTES} bytes") from None
    except BadContentLength:
        raise InvalidInput.one("content-length", "is not a number") from None


@router.get("", response_model=Page[WorkflowOut], summary="List workflows, newest change first")
async def list_workflows(
    session: SessionDep,
    name: Annotated[
        str | None, Query(max_length=200, description="Case-insensitive part of the name")
    ] = None,
    active: Annotated[bool | None, Query(description="Only active (or inactive) ones")] = None,
    tag: Annotated[
        list[str] | None,
        Query(description="Only those having this tag (repeat: all of the tags given)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=svc.MAX_LIMIT, description="Page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip")] = 0,
) -> Page[WorkflowOut]:
    return await svc.list_page(
        session, name=name, active=active, tags=tag, limit=limit, offset=offset
    )


@router.get(
    "/tags",
    response_model=list[TagCount],
    summary="Every tag in use, with how many workflows have it, sorted by tag",
)
async def list_tags(session: SessionDep) -> list[TagCount]:
    return await workflow_tags.tag_counts(session)


@router.post(
    "",
    response_model=WorkflowOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[CanEdit],
    summary="Create a workflow from a document (validated; integrations normalised)",
)
async def create_workflow(
    data: WorkflowCreate, session: SessionDep, user: CurrentUser
) -> WorkflowOut:
    return await svc.create(session, data, active=data.active, user_id=user.id)


@router.post(
    "/import",
    response_model=WorkflowOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[CanEdit],
    summary="Create a workflow from a JSON or YAML file",
    openapi_extra=_TEXT_BODY,
)
async def import_workflow(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    format: FormatQ = None,
    active: Annotated[bool, Query(description="Activate it at once")] = False,
) -> WorkflowOut:
    text, fmt = await _read_document(request, format)
    return await svc.import_text(session, text, fmt, active=active, user_id=user.id)


@router.post(
    "/validate",
    response_model=ValidationResult,
    summary="Check a document (JSON or YAML) without saving it: every problem, or the "
    "normalised document",
    openapi_extra=_TEXT_BODY,
)
async def validate_workflow(
    request: Request,
    session: SessionDep,
    format: FormatQ = None,
    workflow_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="Check it as a new version of this workflow"),
    ] = None,
) -> ValidationResult:
    text, fmt = await _read_document(request, format)
    return await svc.check(session, text, fmt, workflow_id=workflow_id)


@router.get("/{workflow_id}", response_model=WorkflowOut)
async def get_workflow(workflow_id: WorkflowId, session: SessionDep) -> WorkflowOut:
    return await svc.get(session, workflow_id)


@router.put(
    "/{workflow_id}",
    response_model=WorkflowOut,
    dependencies=[CanEdit],
    summary="Replace the document; a change makes a new version (409 if `version` is stale)",
)
async def replace_workflow(
    workflow_id: WorkflowId, data: WorkflowUpdate, session: SessionDep, user: CurrentUser
) -> WorkflowOut:
    if data.id is not None and data.id != workflow_id:
        raise InvalidInput.one("id", f"is {data.id}, but the URL names workflow {workflow_id}")
    return await svc.update(
        session,
        workflow_id,
        data,
        expected_version=data.version,
        active=data.active,
        user_id=user.id,
    )


@router.patch(
    "/{workflow_id}",
    response_model=WorkflowOut,
    dependencies=[CanEdit],
    summary="Change some fields (name, description, tags, active, settings, nodes, "
    "connections, pinned_data, sticky_notes)",
)
async def patch_workflow(
    workflow_id: WorkflowId, data: WorkflowPatch, session: SessionDep, user: CurrentUser
) -> WorkflowOut:
    return await svc.patch(session, workflow_id, data, user_id=user.id)


@router.delete("/{workflow_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CanEdit])
async def delete_workflow(
    workflow_id: WorkflowId, session: SessionDep, runtime: RuntimeDep
) -> None:
    stored = await svc.delete(session, workflow_id)
    await session.commit()  # the rows first: then their outputs in the storage
    await delete_stored_outputs(runtime.storage, stored)


@router.post("/{workflow_id}/activate", response_model=WorkflowOut, dependencies=[CanEdit])
async def activate_workflow(workflow_id: WorkflowId, session: SessionDep) -> WorkflowOut:
    return await svc.set_active(session, workflow_id, True)


@router.post("/{workflow_id}/deactivate", response_model=WorkflowOut, dependencies=[CanEdit])
async def deactivate_workflow(workflow_id: WorkflowId, session: SessionDep) -> WorkflowOut:
    return await svc.set_active(session, workflow_id, False)


@router.get(
    "/{workflow_id}/versions",
    response_model=list[WorkflowVersionSummary],
    summary="Saved versions, newest first",
)
async def list_versions(
    workflow_id: WorkflowId, session: SessionDep
) -> list[WorkflowVersionSummary]:
    return await svc.list_versions(session, workflow_id)


@router.get("/{workflow_id}/versions/{version}", response_model=WorkflowVersionOut)
async def get_version(
    workflow_id: WorkflowId,
    version: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
) -> WorkflowVersionOut:
    return await svc.get_version(session, workflow_id, version)


@router.get(
    "/{workflow_id}/export",
    summary="Download the document as a JSON or YAML file",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/yaml": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
            }
        }
    },
)
async def export_workflow(
    workflow_id: WorkflowId,
    session: SessionDep,
    format: Annotated[Literal["json", "yaml"], Query()] = "yaml",
    version: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="This version; default the current")
    ] = None,
) -> Response:
    filename, text = await svc.export(session, workflow_id, format, version)
    media_type = "application/json" if format == "json" else "application/yaml"
    return Response(
        content=text.encode("utf-8"),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@node_types_router.get(
    "",
    response_model=list[NodeTypeOut],
    summary="Every registered node type: palette section and icon, ports, params JSON Schema",
)
async def list_node_types(
    group: Annotated[
        Literal["trigger", "flow", "data", "action"] | None, Query(description="Only this group")
    ] = None,
) -> list[NodeTypeOut]:
    return node_types.list_node_types(group)


@node_types_router.get("/{node_type}", response_model=NodeTypeOut, summary="One node type")
async def get_node_type(
    node_type: Annotated[str, Path(max_length=201)],
) -> NodeTypeOut:
    return node_types.get_node_type(node_type)
