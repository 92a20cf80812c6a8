"""
The web page at `/`: one HTML file with its script and style sheet, shipped inside the package
(`extractive_qa/http/static/`), no build step, nothing fetched from elsewhere.

The page holds no data (it asks `/info`, `/ask/run`, `/upload` and `/feedback`, sending the API key it asks for),
so it is served without the key. Every response carries a strict Content Security Policy: scripts and styles only
from this server, no inline script, no frames, connections only to this server. With it, text from a document or a
question that looks like markup (`<img src=x onerror=...>`) can at worst be shown, never run; the page itself only
ever inserts text (`textContent`), never markup.

Usage example:
```python
from fastapi import FastAPI

from extractive_qa.http.page import page_router

app = FastAPI()
app.include_router(page_router())
```
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_FILE = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


def static_files(folder: Path = STATIC_DIR) -> dict[str, Path]:
    """The page's files by name (one folder, no sub-folders): nothing else is ever served from it."""
    return {path.name: path for path in sorted(folder.iterdir()) if path.is_file() and path.suffix in CONTENT_TYPES}


def page_router(folder: Path = STATIC_DIR) -> APIRouter:
    """The FastAPI router of `GET /` (the page) and `GET /static/{name}` (its script, style sheet and icons)."""
    files = static_files(folder)
    if PAGE_FILE not in files:
        raise FileNotFoundError(f"the page is missing: {folder / PAGE_FILE}")
    router = APIRouter(include_in_schema=False)

    def respond(name: str) -> Response:
        path = files[name]
        return Response(
            content=path.read_bytes(), media_type=CONTENT_TYPES[path.suffix], headers=dict(SECURITY_HEADERS)
        )

    @router.get("/")
    def page() -> Response:
        return respond(PAGE_FILE)

    @router.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in files or name == PAGE_FILE:
            raise HTTPException(status_code=404, detail=f"no such file: /static/{name}")
        return respond(name)

    return router
