"""`/docs`: Swagger UI from files shipped in the package (api/static/swagger-ui), so the
interactive docs work on a network without internet access and load nothing from a CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

STATIC = Path(__file__).parent / "static" / "swagger-ui"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}
_FILES = {"favicon.png": "favicon-32x32.png"}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Overgang - API docs",
        swagger_js_url="/docs/swagger-ui-bundle.js",
        swagger_css_url="/docs/swagger-ui.css",
        swagger_favicon_url="/docs/favicon.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
        # No validator badge: it would send the document to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/docs/oauth2-redirect")
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


def _asset_route(name: str, media_type: str) -> None:
    path = STATIC / _FILES.get(name, name)

    def asset() -> FileResponse:
        # Versioned with the package: a day's caching spares the 1.5 MB on every visit.
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": "max-age=86400"})

    router.add_api_route(f"/docs/{name}", asset, methods=["GET"], name=f"docs-{name}")


for _name, _media_type in ASSETS.items():
    _asset_route(_name, _media_type)
