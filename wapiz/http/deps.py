"""App-wide dependencies: settings, database and the request's session."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.config import Settings
from wapiz.db.database import Database

# Dependencies are `async def` on purpose: FastAPI runs plain `def` ones in a thread pool,
# a thread hop per dependency per request.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings  # Starlette's state is untyped
    return settings


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.database.session_scope() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
# scope="function": the commit happens before the response is sent, so a client that reads
# right after a write sees it.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
