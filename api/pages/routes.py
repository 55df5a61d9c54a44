"""The public pages as one router, included last by api/app.py (its catch-all must not shadow the API)."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.errors import ApiError
from api.pages import booker, booking, forms

STATIC = Path(__file__).parent / "static"
ASSETS = {"pages.css": "text/css", "pages.js": "text/javascript"}

router = APIRouter(include_in_schema=False)


@router.get("/pages/static/{asset}")
async def asset(asset: str) -> FileResponse:
    """The pages' stylesheet and script (hand-written, served from the package)."""
    if asset not in ASSETS:
        raise ApiError(404, f"no asset {asset}")
    return FileResponse(STATIC / asset, media_type=ASSETS[asset], headers={"Cache-Control": "public, max-age=3600"})


# Literal first segments before the catch-all booking page.
router.include_router(forms.router)
router.include_router(booking.router)
router.include_router(booker.router)
