"""The ceiling: a bare FastAPI app whose one POST route only reads the body and answers a small
JSON, served by uvicorn with the same settings as `overgang serve` (see bench/serve.py)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI(title="Overgang benchmark ceiling")


@app.post("/fhir/$process-message")
async def process_message(request: Request) -> JSONResponse:
    """Read the message and answer; nothing else."""
    body = await request.body()
    return JSONResponse({"resourceType": "OperationOutcome", "received": len(body)})


@app.get("/readyz")
async def ready() -> dict[str, str]:
    return {"status": "ready"}
