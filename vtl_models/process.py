"""Tuning of the serving process: what app.py does before gradio loads, and once the page is served."""

from __future__ import annotations

import ctypes
import gc
import importlib
import os

M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas. It gives each thread that contends for memory an arena of its own, and gradio's
    worker threads then keep what the models freed: with the cap the server stays smaller at the same speed
    (benchmarks/serve.py's soak measures it)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to cap
        return
    libc.mallopt(M_ARENA_MAX, arenas)


def passive_openmp_threads() -> None:
    """Let torch's OpenMP threads sleep at once when they wait for each other, instead of spinning first (unless the
    environment says otherwise; read when torch loads, so call this before).

    Spinning pays only while no other process wants the cores. Beside any other load (a training, or this server's
    own requests on other threads), a spinning thread holds a core its partner needs: on 2 busy cores one trunk pass
    of the labels tab took 176 ms spinning and 21 ms passive (18 ms on one thread), and a tab's first request, which
    runs many such passes, grew to seconds."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def warm_up(modules: list[str]) -> None:
    """Import `modules` (the trained tabs' model code: torch, timm, scikit-image, slow to import) once the page is
    served, then freeze the heap.

    No model is built here: a tab still loads its weights on its first request, which then does not wait for these
    imports. Freezing the heap stops the cyclic garbage collector from re-scanning the millions of objects the imports
    made (a full collection, e.g. while the zero-shot tab parses WordNet, walked all of them)."""
    for name in modules:
        importlib.import_module(name)
    gc.freeze()
