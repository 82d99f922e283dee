"""Visual Transfer Lab: six deep transfer-learning methods for visual analysis, one tab each.

    python app.py [--share] [--host 127.0.0.1] [--port 7860] [--device auto|cpu|cuda] [--weights-repo USER/NAME]

No model is built at import: each tab builds its predictor on its first request and keeps it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import threading

from vtl_models import process
from vtl_models.registry import TABS, Tab

HEADER = """# Visual Transfer Lab
Try six deep transfer-learning methods for visual analysis from NTU's Vision & Learning Lab (2017-2018), each
re-implemented at small scale, trained here on procedurally generated data and measured on held-out tests.
Every tab says what its model was trained on and how well it works."""

QUEUE_SIZE = int(os.environ.get("VTL_QUEUE_SIZE", "32"))
CONCURRENCY = int(os.environ.get("VTL_CONCURRENCY", "2"))  # per event; 2 CPU cores are the design target
MAX_FILE_SIZE = os.environ.get("VTL_MAX_FILE_SIZE", "20mb")


def health() -> str:
    """A no-op endpoint: answers at once; the latency floor for benchmarks."""
    return "ok"


def warm_up() -> None:
    """Import the trained tabs' predictor code in the background once the page is served (vtl_models.process)."""
    process.warm_up([f"vtl_models.{entry.task}.predictor" for entry in TABS if is_full(entry)])


def _configure_environment(weights_repo: str | None) -> None:
    # Must run before gradio is imported (it imports huggingface_hub, which reads these once).
    process.limit_malloc_arenas()
    process.passive_openmp_threads()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    if weights_repo:
        os.environ["VTL_WEIGHTS_REPO"] = weights_repo
    else:  # no Hub repo: nothing may wait on the network
        os.environ.setdefault("HF_HUB_OFFLINE", "1")


def is_full(entry: Tab) -> bool:
    """The one rule for every tab: full once its default weights have a card and its demos module exists."""
    from importlib.util import find_spec

    from vtl_models.hub import has_card

    return has_card(entry.task) and find_spec(f"demos.{entry.task}") is not None


def tab_demo(entry: Tab):
    """The tab's Blocks: its full UI, or the honest placeholder when it has no trained weights."""
    from demos.common import placeholder_demo

    return (
        importlib.import_module(f"demos.{entry.task}").create_demo() if is_full(entry) else placeholder_demo(entry.task)
    )


def build_app(device: str = "auto"):
    """Assemble the header and the six tabs into one gr.Blocks app whose predictors run on `device` ("auto", "cpu",
    "cuda"; made a torch.device when the first predictor is built)."""
    _configure_environment(os.environ.get("VTL_WEIGHTS_REPO"))
    import gradio as gr

    from demos.common import use_device

    use_device(device)
    # Each tab's Blocks is built outside the app's context and then rendered into its tab (built inside, it would
    # render twice).
    tabs = {entry.task: tab_demo(entry) for entry in TABS}
    # outputs gradio copied into its cache leave after a day (checked hourly): a long-running Space keeps its disk
    with gr.Blocks(title="Visual Transfer Lab", delete_cache=(3600, 86400)) as app:
        gr.Markdown(HEADER)
        for entry in TABS:
            with gr.Tab(entry.title, id=entry.task):
                tabs[entry.task].render()
        gr.api(health, api_name="health", concurrency_limit=None, queue=False)
    app.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    return app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Visual Transfer Lab web app")
    parser.add_argument("--share", action="store_true", help="also serve through a public gradio.live link")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--device", default=os.environ.get("VTL_DEVICE", "auto"), choices=("auto", "cpu", "cuda"))
    parser.add_argument(
        "--weights-repo",
        default=os.environ.get("VTL_WEIGHTS_REPO"),
        help="Hugging Face model repo USER/NAME to load weights from (default: weights/ here)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    _configure_environment(args.weights_repo)
    app = build_app(args.device)
    globals()["demo"] = app  # a Space's reloader (SYSTEM=spaces) looks for a module-level `demo` in app.py
    app.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        max_file_size=MAX_FILE_SIZE,
        prevent_thread_lock=True,
    )
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    app.block_thread()


if __name__ == "__main__":
    main()
