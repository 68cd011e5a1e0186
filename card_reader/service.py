"""The upload hook: an HTTP service the portal calls after each upload (FastAPI on uvicorn).

Cards are read in worker processes (each keeps its engine warm), never on the event loop; when every
worker is busy and the queue is full the service answers 503 with ``Retry-After`` instead of piling
up. Every route but the health checks needs a bearer token. Results go to the same store as the CLI.
Imported only by ``card-reader serve``: ``import card_reader`` pulls in no web framework.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math
import multiprocessing
import os
import time
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Optional, Union

from fastapi import Depends, FastAPI, File, Form, Header, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pebble import ProcessExpired, ProcessPool
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .batch import _worker_reader
from .errors import (CardNotStored, CardReaderError, CardTimeout, ConfigError, EngineError, ImageTooLarge, InputError,
                     InvalidDecision, InvalidSubmission, ServiceBusy, StoreError, StoreUnreachable,
                     UnsupportedMediaType)
from .models import CardFailure, CardResult, Versions
from .pipeline import parse_submission
from .store import Decision, ResultStore

log = logging.getLogger(__name__)

TOKENS_ENV = "CARD_READER_API_TOKENS"  # comma-separated bearer tokens
TOKENS_FILE_ENV = "CARD_READER_API_TOKENS_FILE"  # or a file holding one per line
IMAGE_TYPES = {"image/jpeg", "image/png", "image/heic", "image/heif", "image/webp", "image/tiff", "image/bmp",
               "application/pdf", "application/octet-stream"}


@dataclass(frozen=True)
class ServiceSettings:
    tokens: tuple[str, ...]
    db_url: Optional[str] = None
    workers: int = 2
    queue: int = 4  # uploads that may wait for a worker; one more is answered 503
    time_limit: float = 30.0  # seconds a card may take before the request fails with 504
    max_upload_bytes: int = 20_000_000  # per image

    @staticmethod
    def tokens_from_env() -> tuple[str, ...]:
        """The bearer tokens from ``CARD_READER_API_TOKENS`` or the file ``CARD_READER_API_TOKENS_FILE``."""
        text = os.environ.get(TOKENS_ENV, "")
        if os.environ.get(TOKENS_FILE_ENV):
            text += "\n" + Path(os.environ[TOKENS_FILE_ENV]).read_text(encoding="utf-8")
        tokens = tuple(t.strip() for t in text.replace(",", "\n").splitlines() if t.strip())
        if not tokens:
            raise ConfigError(f"no API token configured: set {TOKENS_ENV} or {TOKENS_FILE_ENV}")
        if any(len(t) < 16 for t in tokens):
            raise ConfigError("an API token must be at least 16 characters")
        return tokens


# --- the contract ---------------------------------------------------------------------------------
class CardResponse(BaseModel):
    id: str = Field(description="the card's id: the Idempotency-Key sent, else derived from the upload")
    replayed: bool = Field(description="true when this upload was read before and the stored result is returned")
    result: CardResult


class ErrorResponse(BaseModel):
    code: str = Field(description="a stable error code, as the CLI and the batch file report it")
    message: str


class ReviewItem(BaseModel):
    id: str
    severity: Literal["failed", "error", "warning", "info"]
    payer: Optional[str]
    flags: list[str]
    read_at: datetime


class ResolveRequest(BaseModel):
    action: Literal["accept", "correct"]
    corrections: dict[str, str] = Field(default_factory=dict, description="field -> the right value")
    note: str = Field(default="", max_length=2000)
    decided_by: str = Field(min_length=1, max_length=255)


ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 404, 409, 413, 415, 422, 503, 504)}


# --- in the worker processes ------------------------------------------------------------------------
def _read_upload(front: bytes, back: Optional[bytes], form: dict) -> Union[CardResult, CardFailure]:
    try:
        return _worker_reader().read(front, back, parse_submission(form))
    except CardReaderError as exc:
        return CardFailure(case="upload", error=exc.code, message=str(exc))


def _reader_versions() -> Versions:
    return _worker_reader().versions


# --- the app ----------------------------------------------------------------------------------------
def create_app(settings: ServiceSettings) -> FastAPI:
    state: dict = {"in_flight": 0, "seconds_per_card": 1.0}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool = ProcessPool(max_workers=settings.workers, context=multiprocessing.get_context("spawn"))
        store = ResultStore(settings.db_url)
        try:  # one worker builds its reader now: the versions, and a warm engine for the first upload
            state["versions"] = await asyncio.wrap_future(pool.schedule(_reader_versions))
            state.update(pool=pool, store=store)
            yield
        finally:
            pool.stop()
            pool.join()
            store.close()

    # no Swagger or ReDoc pages: they load their scripts from a CDN; the document itself is at /openapi.json
    app = FastAPI(title="card-reader", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Reads US health insurance card photos and checks them against the typed intake form.")
    bearer = HTTPBearer(auto_error=False, description="a token from CARD_READER_API_TOKENS")

    def authorised(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer)) -> None:
        given = credentials.credentials.encode() if credentials else b""
        # every token compared, in constant time: neither which nor how much matched leaks through timing
        if not any([hmac.compare_digest(given, token.encode()) for token in settings.tokens]) or not given:
            raise StarletteHTTPException(401, "a valid bearer token is required")

    @app.exception_handler(CardReaderError)
    async def card_reader_error(request: Request, exc: CardReaderError) -> JSONResponse:
        retry_after = exc.retry_after if isinstance(exc, ServiceBusy) else 5 if isinstance(exc, StoreUnreachable) else None
        return _error(_status_of(exc), exc.code, str(exc), retry_after=retry_after)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        where = sorted({".".join(str(part) for part in e.get("loc", ())) for e in exc.errors()})
        return _error(400, "invalid_request", f"the request is not valid at: {', '.join(where)}")  # no values echoed

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {401: "unauthorised", 404: "not_found", 405: "method_not_allowed", 413: "upload_too_large"}
        response = _error(exc.status_code, codes.get(exc.status_code, f"http_{exc.status_code}"), str(exc.detail))
        if exc.status_code == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("request failed unexpectedly: %s", type(exc).__name__)  # no traceback, no values
        return _error(500, "internal_error", "the service failed; the request can be retried")

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        """Refuse an upload larger than two images before reading it."""
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > 2 * settings.max_upload_bytes + 1_000_000:
            return _error(413, ImageTooLarge.code, "the upload is larger than the service accepts")
        return await call_next(request)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"model": ErrorResponse}})
    async def readyz() -> dict:
        """Tesseract and the templates loaded in the workers (before the service answers at all), and the
        store reachable."""
        await run_in_threadpool(state["store"].ping)
        versions: Versions = state["versions"]
        return {"status": "ready", "engine": versions.engine, "templates": versions.templates}

    @app.post("/v1/cards", response_model=CardResponse, responses=ERRORS, dependencies=[Depends(authorised)])
    async def post_card(front: UploadFile = File(description="the card's front photo"),
                        back: Optional[UploadFile] = File(None, description="the card's back photo"),
                        typed: str = Form("{}", description="the ClientSubmission JSON the client typed"),
                        idempotency_key: Optional[str] = Header(None, max_length=200)) -> CardResponse:
        """Read an uploaded card, check it against the typed form, store and answer the result. A retried
        upload (the same Idempotency-Key, or the same images and form) answers the stored result."""
        front_bytes = await _image_bytes(front, settings.max_upload_bytes)
        back_bytes = await _image_bytes(back, settings.max_upload_bytes) if back is not None else None
        form = _form(typed)
        versions: Versions = state["versions"]
        fingerprint = hashlib.sha256(b"".join(
            hashlib.sha256(part).digest() for part in (front_bytes, back_bytes or b"", json.dumps(
                form, sort_keys=True).encode()))).hexdigest()
        card_id = idempotency_key or f"card-{fingerprint[:32]}"
        store: ResultStore = state["store"]
        stored = await run_in_threadpool(store.find, card_id)
        if stored is not None:
            if stored.input_fingerprint != fingerprint:
                return _error(409, "idempotency_key_reused", "this Idempotency-Key was used for another upload")
            if (stored.templates_version, stored.engine_version) == (versions.templates, versions.engine):
                return _answer(card_id, stored.outcome, replayed=True)
        outcome = await _read(front_bytes, back_bytes, form)
        if isinstance(outcome, CardFailure):
            raise _failure(outcome)
        outcome.case = card_id
        await run_in_threadpool(store.add, card_id, outcome, input_fingerprint=fingerprint,
                                templates_version=versions.templates, engine_version=versions.engine)
        return _answer(card_id, outcome, replayed=False)

    async def _read(front: bytes, back: Optional[bytes], form: dict) -> Union[CardResult, CardFailure]:
        capacity = settings.workers + settings.queue
        if state["in_flight"] >= capacity:
            wait = math.ceil(state["seconds_per_card"] * (state["in_flight"] + 1) / settings.workers)
            raise ServiceBusy("every worker is busy and the queue is full; retry later", retry_after=wait)
        state["in_flight"] += 1
        started = time.monotonic()
        try:
            future = state["pool"].schedule(_read_upload, (front, back, form), timeout=settings.time_limit)
            outcome = await asyncio.wrap_future(future)
        except FutureTimeout:
            raise CardTimeout(f"reading took longer than the {settings.time_limit:.0f} s limit") from None
        except ProcessExpired:
            raise EngineError("the worker reading this upload stopped; the upload can be retried") from None
        finally:
            state["in_flight"] -= 1
        state["seconds_per_card"] = 0.8 * state["seconds_per_card"] + 0.2 * (time.monotonic() - started)
        return outcome

    @app.get("/v1/cards/{card_id}", response_model=CardResponse, responses=ERRORS,
             dependencies=[Depends(authorised)])
    async def get_card(card_id: str) -> CardResponse:
        """A stored card's latest result."""
        stored = await run_in_threadpool(state["store"].latest, card_id)
        return _answer(card_id, stored.outcome, replayed=True)

    @app.get("/v1/review", response_model=list[ReviewItem], responses=ERRORS, dependencies=[Depends(authorised)])
    async def review_queue() -> list[ReviewItem]:
        """Cards whose latest result needs review and has no staff decision, most severe first."""
        queue = await run_in_threadpool(state["store"].review_queue)
        return [ReviewItem(id=item.card_id, severity=item.severity_name, read_at=item.created_at,
                           payer=None if isinstance(item.outcome, CardFailure) else item.outcome.payer.id,
                           flags=[item.outcome.error] if isinstance(item.outcome, CardFailure) else
                           [f.code for f in item.outcome.flags if f.severity.value != "info"])
                for item in queue]

    @app.post("/v1/review/{card_id}/resolve", response_model=Decision, responses=ERRORS,
              dependencies=[Depends(authorised)])
    async def resolve(card_id: str, decision: ResolveRequest) -> Decision:
        """Record a staff decision on the card's latest result, as ``card-reader review resolve`` does."""
        return await run_in_threadpool(lambda: state["store"].decide(
            card_id, decided_by=decision.decided_by, action=decision.action, corrections=decision.corrections,
            note=decision.note))

    return app


async def _image_bytes(upload: UploadFile, limit: int) -> bytes:
    if (upload.content_type or "application/octet-stream").split(";")[0].strip().lower() not in IMAGE_TYPES:
        raise UnsupportedMediaType(f"{upload.content_type} is not an accepted image type")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ImageTooLarge(f"an image is over the limit of {limit / 1e6:.0f} MB")
    return data


def _form(typed: str) -> dict:
    try:
        form = json.loads(typed or "{}")
    except ValueError:
        raise InvalidSubmission("the typed form is not JSON") from None
    if not isinstance(form, dict):
        raise InvalidSubmission("the typed form must be a JSON object")
    parse_submission(form)  # validated here, so that a bad form is a 400 before any reading
    return form


def _answer(card_id: str, outcome: Union[CardResult, CardFailure], *, replayed: bool) -> CardResponse:
    if isinstance(outcome, CardFailure):
        raise _failure(outcome)
    return CardResponse(id=card_id, replayed=replayed, result=outcome)


def _failure(failure: CardFailure) -> CardReaderError:
    """The typed error a worker reported, raised again here so that it maps to its HTTP status."""
    for cls in _subclasses(CardReaderError):
        if cls.code == failure.error:
            return cls(failure.message)
    return CardReaderError(failure.message)


def _subclasses(cls: type) -> list[type]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in _subclasses(child))]


def _status_of(exc: CardReaderError) -> int:
    if isinstance(exc, ImageTooLarge):
        return 413
    if isinstance(exc, UnsupportedMediaType):
        return 415
    if isinstance(exc, (InvalidSubmission, InvalidDecision)):
        return 400
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, CardNotStored):
        return 404
    if isinstance(exc, CardTimeout):
        return 504
    if isinstance(exc, (StoreError, EngineError, ServiceBusy)):
        return 503
    return 500


def _error(status: int, code: str, message: str, retry_after: Optional[int] = None) -> JSONResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return JSONResponse(ErrorResponse(code=code, message=message).model_dump(), status_code=status, headers=headers)
