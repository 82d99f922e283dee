"""The whole app as users meet it: over HTTP with gradio_client, and in a real browser (Debian chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest
from checks import assert_shows_a_result
from gradio_client import Client

from app import is_full
from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS
from vtl_models.registry import TABS

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture(scope="module")
def client(app_server) -> Client:
    url, _ = app_server
    return Client(url, verbose=False)


def test_health_answers(client):
    assert client.predict(api_name="/health") == "ok"


def test_every_trained_task_exposes_its_endpoint(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for entry in TABS:
        if is_full(entry):
            assert f"/{entry.api_name}" in endpoints, f"{entry.task} is trained but /{entry.api_name} is missing"


def test_every_trained_tab_answers_its_own_example(client):
    """Each trained tab's registry example (the call benchmarks/serve.py times) goes through the whole served app."""
    from benchmarks.calls import api_example

    for entry in TABS:
        if is_full(entry):
            api_name, args = api_example(entry.task)
            outputs = client.predict(*args, api_name=api_name)
            assert_shows_a_result(outputs, entry.task)


def test_unreadable_uploads_get_a_clear_message_and_the_server_survives(client, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    from benchmarks.calls import api_example

    bad = tmp_path / "photo.png"
    bad.write_bytes(b"%PDF-1.4 not an image")
    for entry in TABS:
        if is_full(entry):
            api_name, args = api_example(entry.task)
            with pytest.raises(AppError, match="could not be read as an image"):
                client.predict(handle_file(str(bad)), *args[1:], api_name=api_name)
    assert client.predict(api_name="/health") == "ok"


def test_untrained_tabs_are_honest_placeholders(app_server):
    """A tab without default weights says so in the served page, and exposes no endpoint of its own."""
    import urllib.request

    url, _ = app_server
    page = urllib.request.urlopen(url + "config", timeout=10).read().decode()
    endpoints = Client(url, verbose=False).view_api(print_info=False, return_format="dict")["named_endpoints"]
    for entry in TABS:
        placeholder = f"train {entry.task}` has produced weights" in page
        assert placeholder != is_full(entry), entry.task
        assert (f"/{entry.api_name}" in endpoints) == is_full(entry), entry.task


PENDING = "() => !document.querySelector('.eta-bar, .progress-text, .wrap.pending')"


def run_first_example(page) -> None:
    """As a visitor would: pick the tab's first example, press its main button, see new pictures and no error."""
    panel = page.locator("[role=tabpanel]:visible")
    panel.locator(".gallery-item, tr.tr-body").first.click()
    page.wait_for_timeout(500)
    pictures = panel.locator("img:visible, canvas:visible").count()
    panel.locator("button.primary").first.click()
    page.wait_for_timeout(500)
    page.wait_for_function(PENDING, timeout=180_000)
    page.wait_for_timeout(1000)
    assert page.locator(".toast-body.error").count() == 0, page.locator(".toast-body").all_inner_texts()
    assert panel.locator("img:visible, canvas:visible").count() > pictures, "the example produced no picture"


@pytest.mark.browser
def test_browser_clicks_through_every_tab(app_server):
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: apt-get install -y chromium (the README's test command does this)")
    url, _ = app_server
    SCREENSHOTS.mkdir(exist_ok=True)
    outside, page_errors = [], []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on(
            "request",
            lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else outside.append(r.url),
        )
        page.on("pageerror", lambda e: page_errors.append(str(e)))
        page.goto(url, wait_until="load")  # not "networkidle": a tab with gr.State keeps a heartbeat stream open
        page.get_by_text("Visual Transfer Lab").first.wait_for()
        for entry in TABS:
            page.get_by_role("tab", name=entry.title).click()
            page.wait_for_timeout(300)
            assert page.get_by_role("tab", name=entry.title).get_attribute("aria-selected") == "true"
            assert page.locator("text=How well does it work?").locator("visible=true").count() <= 1
            if is_full(entry):
                run_first_example(page)
            page.screenshot(path=str(SCREENSHOTS / f"tab_{entry.task}.png"), full_page=True)
        browser.close()
    assert not page_errors, page_errors
    assert not outside, f"front-end assets fetched from outside: {outside[:5]}"


def test_the_page_is_served_before_any_model_code_loads():
    """What keeps the first page quick, checked without a clock (benchmarks/ time the 8 s target on an idle machine):
    building and serving the UI imports no torch, timm or scikit-image; model code loads after (app.warm_up). A tab
    module that imports them at the top, or builds a model, makes every cold start wait for them."""
    import subprocess
    import sys

    from conftest import free_port

    probe = (
        "import sys, urllib.request, app\n"
        "demo = app.build_app()\n"
        f"demo.launch(server_name='127.0.0.1', server_port={free_port()}, prevent_thread_lock=True, quiet=True)\n"
        "assert urllib.request.urlopen(demo.local_url, timeout=60).status == 200\n"
        "print('loaded:', sorted(m for m in ('torch', 'timm', 'skimage') if m in sys.modules))\n"
        "demo.close()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1]
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "loaded: []" in out.stdout.splitlines(), out.stdout[-2000:]


def test_the_result_check_refuses_blank_and_broken_pictures(tmp_path):
    from PIL import Image

    Image.new("RGB", (64, 64), (90, 90, 90)).save(tmp_path / "blank.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "blank.png").read_bytes()[:40])
    Image.effect_noise((64, 64), 40).convert("RGB").save(tmp_path / "noise.png")
    assert_shows_a_result([str(tmp_path / "noise.png"), "some text"], "fine")
    for name in ("blank.png", "cut.png"):
        with pytest.raises((AssertionError, OSError)):
            assert_shows_a_result([str(tmp_path / "noise.png"), {"image": str(tmp_path / name)}], name)
    with pytest.raises(AssertionError):
        assert_shows_a_result(["ok"], "no picture")
