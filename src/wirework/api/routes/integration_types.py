from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from starlette.datastructures import UploadFile

from wirework.api.bodies import BadContentLength, BadJson, BodyTooLarge, parse_json, read_capped
from wirework.api.deps import CanEdit, DbId, SessionDep, current_user
from wirework.errors import InvalidInput
from wirework.schemas.integration_types import (
    IntegrationTypeCreate,
    IntegrationTypeOut,
    IntegrationTypeUpdate,
    PluginOut,
)
from wirework.services import integration_types as svc
from wirework.services import openapi_import

MAX_SPEC_BYTES = 20 * 1024 * 1024
_IMPORT_BODY = {
    "requestBody": {
        "description": (
            "The OpenAPI 3 description: a file upload (multipart field `file`), the JSON or "
            'YAML text itself, or JSON `{"spec": …}` / `{"url": …}` (fetched through '
            "the SSRF guard)"
        ),
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "spec": {"description": "The description (object or text)"},
                        "url": {"type": "string"},
                    },
                }
            },
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}

router = APIRouter(
    prefix="/integration-types",
    tags=["integration types"],
    dependencies=[Depends(current_user)],
)


plugins_router = APIRouter(
    prefix="/plugins", tags=["integration types"], dependencies=[Depends(current_user)]
)


@plugins_router.get(
    "",
    response_model=list[PluginOut],
    summary="Installed integration packages (entry points), and why any failed to load",
)
async def list_plugins() -> list[PluginOut]:
    return svc.plugins()


@router.get("", response_model=list[IntegrationTypeOut])
async def list_types(session: SessionDep) -> list[IntegrationTypeOut]:
    return [svc.to_out(row) for row in await svc.list_all(session)]


@router.post(
    "",
    response_model=IntegrationTypeOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[CanEdit],
    responses={409: {"description": "A type with this key exists"}},
    summary="Create an integration type (`name` may be a display name: the key is derived)",
)
async def create_type(data: IntegrationTypeCreate, session: SessionDep) -> IntegrationTypeOut:
    return svc.to_out(await svc.create(session, data))


@router.get("/{type_id}", response_model=IntegrationTypeOut)
async def get_type(type_id: DbId, session: SessionDep) -> IntegrationTypeOut:
    return svc.to_out(await svc.get(session, type_id))


@router.patch("/{type_id}", response_model=IntegrationTypeOut, dependencies=[CanEdit])
async def update_type(
    type_id: DbId, data: IntegrationTypeUpdate, session: SessionDep
) -> IntegrationTypeOut:
    return svc.to_out(await svc.update(session, type_id, data))


@router.put("/{type_id}", response_model=IntegrationTypeOut, dependencies=[CanEdit])
async def replace_type(
    type_id: DbId, data: IntegrationTypeUpdate, session: SessionDep
) -> IntegrationTypeOut:
    return svc.to_out(await svc.update(session, type_id, data))


@router.delete(
    "/{type_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[CanEdit],
    responses={409: {"description": "Integrations still use this type"}},
)
async def delete_type(type_id: DbId, session: SessionDep) -> None:
    await svc.delete(session, type_id)


async def _import_source(request: Request) -> dict[str, Any]:
    """What to import from the request: ``spec`` (object or text) or ``url``."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if isinstance(upload, UploadFile):
            raw = await upload.read(MAX_SPEC_BYTES + 1)
            if len(raw) > MAX_SPEC_BYTES:
                raise InvalidInput.one("file", f"larger than {MAX_SPEC_BYTES} bytes")
            return {"spec": raw}
        url = form.get("url")
        return {"url": url} if isinstance(url, str) else {}
    try:
        raw = await read_capped(request, MAX_SPEC_BYTES)
    except BodyTooLarge:
        raise InvalidInput.one("body", f"larger than {MAX_SPEC_BYTES} bytes") from None
    except BadContentLength:
        raise InvalidInput.one("content-length", "is not a number") from None
    if ctype == "application/json":
        try:
            data = parse_json(raw)
        except BadJson as exc:
            raise InvalidInput.one("body", str(exc)) from None
        if isinstance(data, dict) and "openapi" not in data:
            unknown = set(data) - {"spec", "url"}
            if unknown:
                raise InvalidInput.one(sorted(unknown)[0], "unknown field (give spec or url)")
            return {"spec": data.get("spec"), "url": data.get("url")}
        return {"spec": data}
    return {"spec": raw}


@router.post(
    "/import-openapi",
    response_model=IntegrationTypeOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[CanEdit],
    openapi_extra=_IMPORT_BODY,
    responses={409: {"description": "A type with this key exists"}},
    summary="Create an integration type from an OpenAPI 3 description",
)
async def import_openapi(
    request: Request,
    session: SessionDep,
    key: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,99}$")] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    base_url: Annotated[
        str | None, Query(pattern=r"^https?://\S+$", description="Instead of servers[0]")
    ] = None,
) -> IntegrationTypeOut:
    source = await _import_source(request)
    row = await openapi_import.import_type(
        session,
        spec=source.get("spec"),
        url=source.get("url"),
        key=key,
        name=name,
        base_url=base_url,
    )
    return svc.to_out(row)
