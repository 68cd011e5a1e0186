"""The HTTP service, driven over loopback HTTP: uvicorn started by the test as `card-reader serve`."""

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "cards"
TOKEN = "test-token-" + "0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = tmp_path / f"service-{port}.log"
    env = {**os.environ, "CARD_READER_API_TOKENS": TOKEN}
    process = subprocess.Popen([sys.executable, "-m", "card_reader.cli", "serve", "--port", str(port), "--db",
                                f"sqlite:///{tmp_path / f'store-{port}.db'}", *args],
                               env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, url, log
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.3)
    process.kill()
    raise AssertionError(f"the service did not start: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("service")
    process, url, log = start_service(tmp_path, "--workers", "2", "--queue", "2", "--max-upload-mb", "3")
    yield url, log
    process.terminate()
    process.wait(timeout=30)


def card_files(case: str) -> dict:
    folder = SAMPLES / case
    files = {"front": (f"front{next(folder.glob('front.*')).suffix}", next(folder.glob("front.*")).read_bytes(),
                       "image/jpeg" if next(folder.glob("front.*")).suffix == ".jpg" else "image/png")}
    backs = list(folder.glob("back.*"))
    if backs:
        files["back"] = (backs[0].name, backs[0].read_bytes(), "application/octet-stream")
    return files


def post(url: str, case: str, headers=None, typed=None, **kwargs) -> httpx.Response:
    form = typed if typed is not None else (SAMPLES / case / "typed.json").read_text()
    return httpx.post(f"{url}/v1/cards", files=card_files(case), data={"typed": form},
                      headers=AUTH if headers is None else headers, timeout=120, **kwargs)


def test_health_checks_need_no_token(service):
    url, _ = service
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{url}/readyz").json()
    assert ready["status"] == "ready" and "tesseract" in ready["engine"]


def test_every_other_route_needs_the_token(service):
    url, _ = service
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN}):
        response = post(url, "003_uhc_screenshot_clean", headers=headers)
        assert response.status_code == 401 and response.json()["code"] == "unauthorised"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert httpx.get(f"{url}/v1/review").status_code == 401
    assert httpx.get(f"{url}/v1/cards/anything").status_code == 401


def test_a_card_is_read_stored_and_answered_again(service):
    url, log = service
    response = post(url, "003_uhc_screenshot_clean")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["replayed"] is False and body["result"]["payer"]["id"] == "uhc"
    again = httpx.get(f"{url}/v1/cards/{body['id']}", headers=AUTH).json()
    assert again["result"]["fields"] == body["result"]["fields"]
    member_id = body["result"]["fields"]["member_id"]["value"]
    assert member_id not in log.read_text()  # access and error logs carry no member ID


def test_a_retried_upload_is_not_read_twice(service):
    url, _ = service
    first = post(url, "020_cigna_screenshot_clean", headers={**AUTH, "Idempotency-Key": "upload-20"})
    started = time.monotonic()
    retried = post(url, "020_cigna_screenshot_clean", headers={**AUTH, "Idempotency-Key": "upload-20"})
    assert retried.status_code == 200 and retried.json()["replayed"] is True
    assert retried.json()["id"] == first.json()["id"] == "upload-20"
    assert retried.json()["result"] == first.json()["result"]
    same_images = post(url, "020_cigna_screenshot_clean")  # no key: the same images and form
    assert same_images.json()["replayed"] is False and post(url, "020_cigna_screenshot_clean").json()["replayed"]
    assert time.monotonic() - started < 60
    reused = post(url, "003_uhc_screenshot_clean", headers={**AUTH, "Idempotency-Key": "upload-20"})
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("front, content_type, status, code", [
    (b"\xff\xd8\xff\xe0 cut short", "image/jpeg", 422, {"image_truncated", "not_an_image"}),
    (b"", "image/png", 422, {"image_empty"}),
    (b"%PDF-1.4 not really", "text/plain", 415, {"unsupported_media_type"}),
    (b"\x00" * 3_100_000, "image/png", 413, {"image_too_large"}),
])
def test_bad_files_get_typed_4xx_errors_never_a_500(service, front, content_type, status, code):
    url, _ = service
    response = httpx.post(f"{url}/v1/cards", files={"front": ("front", front, content_type)}, headers=AUTH,
                          timeout=60)
    assert response.status_code == status and response.json()["code"] in code, response.text
    assert "Traceback" not in response.text


def test_an_oversize_upload_is_refused_before_it_is_read(service):
    url, _ = service
    response = httpx.post(f"{url}/v1/cards", files={"front": ("front", b"\x00" * 7_500_000, "image/png")},
                          headers=AUTH, timeout=60)
    assert response.status_code == 413


def test_a_bad_typed_form_is_a_400_that_echoes_no_values(service):
    url, _ = service
    for typed in ("{not json", '["a list"]', json.dumps({"date_of_birth": "1985-99-99", "member_id": "W123"})):
        response = post(url, "003_uhc_screenshot_clean", typed=typed)
        assert response.status_code == 400 and response.json()["code"] == "invalid_submission", response.text
        assert "1985-99-99" not in response.text


def test_review_queue_and_a_staff_decision(service):
    url, _ = service
    mistyped = json.loads((SAMPLES / "003_uhc_screenshot_clean" / "typed.json").read_text())
    mistyped["member_id"] = "000000001"
    card_id = post(url, "003_uhc_screenshot_clean", typed=json.dumps(mistyped)).json()["id"]
    queue = httpx.get(f"{url}/v1/review", headers=AUTH).json()
    assert card_id in [item["id"] for item in queue]
    decision = httpx.post(f"{url}/v1/review/{card_id}/resolve", headers=AUTH, json={
        "action": "correct", "corrections": {"member_id": "912345678"}, "note": "typo", "decided_by": "sam"})
    assert decision.status_code == 200 and decision.json()["decided_by"] == "sam"
    assert card_id not in [item["id"] for item in httpx.get(f"{url}/v1/review", headers=AUTH).json()]
    missing = httpx.post(f"{url}/v1/review/nobody/resolve", headers=AUTH, json={"action": "accept", "decided_by": "x"})
    assert missing.status_code == 404 and missing.json()["code"] == "card_not_stored"


def test_a_full_queue_answers_503_with_retry_after(tmp_path):
    process, url, _ = start_service(tmp_path, "--workers", "1", "--queue", "0")
    try:
        cases = sorted(p.name for p in SAMPLES.iterdir() if p.is_dir() and p.name.endswith("_clean"))[:4]
        with ThreadPoolExecutor(len(cases)) as clients:
            responses = list(clients.map(lambda case: post(url, case), cases))
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(200) >= 1 and statuses.count(503) >= 1, statuses
        busy = next(r for r in responses if r.status_code == 503)
        assert busy.json()["code"] == "service_busy" and int(busy.headers["Retry-After"]) >= 1
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_committed_openapi_document_is_the_services():
    out = subprocess.run([sys.executable, "-m", "card_reader.cli", "openapi"], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout) == json.loads((ROOT / "openapi.json").read_text()), \
        "regenerate it: card-reader openapi > openapi.json"


def test_fuzzing_the_api_from_its_openapi_document_finds_no_500(service):
    """Property-based requests built from the committed OpenAPI document (schemathesis), each checked
    for a server error."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    url, _ = service
    schema = schemathesis.openapi.from_path(ROOT / "openapi.json")
    for found in schema.get_all_operations():
        operation = found.ok()

        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def call(case):
            response = case.call(base_url=url, headers=AUTH, timeout=120)
            case.validate_response(response, checks=[not_a_server_error])

        call()


def test_an_upload_past_the_time_limit_is_a_504_and_the_service_goes_on(tmp_path):
    process, url, _ = start_service(tmp_path, "--workers", "1", "--time-limit", "0.05")
    try:
        response = post(url, "003_uhc_screenshot_clean")
        assert response.status_code == 504 and response.json()["code"] == "card_timeout"
        assert httpx.get(f"{url}/readyz").status_code == 200  # a new worker took the stopped one's place
    finally:
        process.terminate()
        process.wait(timeout=30)
