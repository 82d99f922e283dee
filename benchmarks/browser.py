"""What a visitor feels: click on a tab's button to its result painted, in Debian chromium through Playwright.

Each click sends a different input (the tab's example image, a few pixels changed), so no output comes from a
cache; the inputs are uploaded before the clock starts, as a visitor picks a file and then presses the button. The
clock runs in the page: from the button's click to the first animation frame after every output picture of the
tab has changed and decoded, with no progress indicator left.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

from vtl_models.registry import tab

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--use-angle=swiftshader",  # software WebGL, so the 3D viewer really draws
    "--enable-unsafe-swiftshader",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PANEL = "[...document.querySelectorAll('[role=tabpanel]')].find(p => p.offsetParent !== null)"  # the open tab's
SHOWN_SRCS = f"() => [...{PANEL}.querySelectorAll('img')].filter(i => i.offsetParent !== null).map(i => i.src)"
UPLOADED = f"() => !{PANEL}.querySelector('.uploading, .wrap.pending')"
# In the page: press the open tab's main button, then resolve with the milliseconds to the first frame painted after
# the tab went busy and came back with every shown picture decoded (a new picture counts as busy: a fast answer may
# come between two frames); -1 if an error toast shows, -2 on timeout.
CLICK_TO_PAINT = (
    "([before, timeout]) => new Promise(resolve => {"
    f"  const root = {PANEL};"
    """
  const shown = () => [...root.querySelectorAll('img')].filter(i => i.offsetParent !== null);
  const started = performance.now();
  let busy = false;
  root.querySelector('button.primary').click();
  const check = () => {
    if (document.querySelector('.toast-body.error')) return resolve(-1);
    const pending = root.querySelector('.eta-bar, .progress-text, .wrap.pending');
    busy = busy || !!pending || shown().some(i => !before.includes(i.src));
    const painted = shown().every(i => i.complete && i.naturalWidth > 0);
    if (busy && !pending && painted) return requestAnimationFrame(() => resolve(performance.now() - started));
    if (performance.now() - started > timeout) return resolve(-2);
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})"""
)


def variants(source: Path, folder: Path, count: int) -> list[Path]:
    """`count` copies of an example picture (or animated GIF), each with one pixel of every frame changed."""
    image = Image.open(source)
    frames = [np.array(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]
    out = []
    for i in range(count):
        for frame in frames:
            frame[0, i % frame.shape[1]] = (frame[0, i % frame.shape[1]].astype(int) + 97) % 256
        path = folder / f"{i}_{source.name}"
        pictures = [Image.fromarray(frame) for frame in frames]
        extra = {"save_all": True, "append_images": pictures[1:], "duration": 100, "loop": 0} if len(frames) > 1 else {}
        pictures[0].save(path, **extra)
        out.append(path)
    return out


def click_to_result(page, inputs: list[Path], timeout_ms: float = 60_000) -> list[float]:
    """Seconds from the click to the result painted in the open tab, one per input uploaded into its first file
    input (replacing the one before, as a visitor picks another file)."""
    panel = page.locator("[role=tabpanel]:visible")
    seconds = []
    for path in inputs:
        panel.locator("input[type=file]").first.set_input_files(str(path))
        page.wait_for_function(UPLOADED)
        before = page.evaluate(SHOWN_SRCS)
        elapsed = page.evaluate(CLICK_TO_PAINT, [before, timeout_ms])
        if elapsed < 0:
            raise RuntimeError(f"{path.name}: " + ("an error was shown" if elapsed == -1 else "no result in time"))
        seconds.append(elapsed / 1000)
    return seconds


def measure(url: str, tasks: list[str], folder: Path, clicks: int = 5, warm_up: int = 1) -> dict[str, list[float]]:
    """Seconds from click to result painted, per tab's api_name: `warm_up` clicks first (not counted), then `clicks`,
    each on an input of its own."""
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url, wait_until="load")
        page.get_by_text("Visual Transfer Lab").first.wait_for()
        for task in tasks:
            entry = tab(task)
            page.get_by_role("tab", name=entry.title).click()
            source = next(a for a in entry.example_args() if isinstance(a, Path))
            inputs = variants(source, folder, warm_up + clicks)
            out[entry.api_name] = click_to_result(page, inputs)[warm_up:]
        browser.close()
    return out
