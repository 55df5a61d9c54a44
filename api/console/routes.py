"""Everything the console serves, as one router for api/app.py, and its redirect to the login page."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from api.console import auth, bookings, crm, failures, routing_forms, webhooks
from api.console.session import LoginRequired, login_redirect

router = APIRouter()
router.include_router(auth.router)
router.include_router(routing_forms.router)
router.include_router(webhooks.router)
router.include_router(bookings.router)
router.include_router(failures.router)
router.include_router(crm.router)


def install(app: FastAPI) -> None:
    """Send a browser without a console session to the login page."""

    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, error: LoginRequired) -> RedirectResponse:
        return login_redirect(error)
