"""The web app's pages (HTML shells; their scripts call the API)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from wapiz.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request) -> HTMLResponse:
    return render(request, "home.html")
