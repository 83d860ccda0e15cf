"""Every error has the same shape, including the ones nobody planned for."""

import httpx
from fastapi import FastAPI

from wapiz.http.error_handlers import install_error_handlers


async def test_an_unexpected_error_is_a_json_500() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"error": "Terjadi kesalahan pada server",
                               "code": "internal_error"}
