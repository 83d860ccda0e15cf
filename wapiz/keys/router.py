from fastapi import APIRouter, Request, Response, status

from wapiz.accounts.deps import TokenFirstRoute, principal_cache
from wapiz.keys.deps import Keys
from wapiz.keys.schemas import KeyCreate, KeyCreated, KeyList
from wapiz.kit.schemas import error_responses

# Token-first: a caller without a token gets 401 before any of its body is read.
router = APIRouter(prefix="/api/keys", tags=["keys"], route_class=TokenFirstRoute)


@router.get("", responses=error_responses(401, 403), summary="The account's API keys")
async def list_keys(keys: Keys) -> KeyList:
    return KeyList(items=await keys.list())


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 409),
    summary="Make an API key (the whole key is shown only in this answer)",
)
async def create_key(body: KeyCreate, keys: Keys) -> KeyCreated:
    return await keys.create(body.name, body.device_public_id)


@router.delete(
    "/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 404),
    summary="Revoke an API key: it stops working at once",
)
async def revoke_key(id: str, keys: Keys, request: Request) -> Response:
    principal_cache(request).evict(await keys.revoke(id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
