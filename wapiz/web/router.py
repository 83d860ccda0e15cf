"""The web app's pages (HTML shells; their scripts call the API).

Whether a visitor is signed in is the API's to say: a page only looks for the `wa_token`
cookie to choose between the landing page and the app's shell, whose script asks
`GET /api/auth/me` and sends a visitor whose token is no longer good to the login page.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wapiz.kit.cookies import TOKEN_COOKIE
from wapiz.kit.ids import parse_uuid
from wapiz.web.pages import render

router = APIRouter(include_in_schema=False)


def _signed_in(request: Request) -> bool:
    return bool(request.cookies.get(TOKEN_COOKIE))


@router.get("/")
async def home(request: Request) -> HTMLResponse:
    if _signed_in(request):
        return render(request, "devices.html")
    return render(request, "home.html")


@router.get("/login")
async def login(request: Request) -> HTMLResponse:
    return render(request, "login.html", mode="login")


@router.get("/register")
async def register(request: Request) -> HTMLResponse:
    return render(request, "login.html", mode="register")


@router.get("/keys")
async def keys(request: Request) -> Response:
    if not _signed_in(request):
        return RedirectResponse("/login", status_code=303)
    return render(request, "keys.html")


# The operator's pages; the API says who is an admin (a non-admin's page shows its 403).
ADMIN_SECTIONS = {"/admin": "users", "/admin/devices": "devices", "/admin/health": "health",
                  "/admin/signup": "signup"}


@router.get("/admin")
@router.get("/admin/devices")
@router.get("/admin/health")
@router.get("/admin/signup")
async def admin(request: Request) -> Response:
    if not _signed_in(request):
        return RedirectResponse("/login", status_code=303)
    return render(request, "admin.html", section=ADMIN_SECTIONS[request.url.path])


@router.get("/devices/{device_id}")
async def device(request: Request, device_id: str) -> Response:
    found = parse_uuid(device_id)
    if found is None:
        return RedirectResponse("/", status_code=303)
    if not _signed_in(request):
        return RedirectResponse("/login", status_code=303)
    return render(request, "device.html", device_id=str(found))
