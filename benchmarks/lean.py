"""A client that costs the server what a browser's page does: one kept-alive connection, no polling.

gradio_client opens a new connection (and builds an SSL context) for every upload, call and download, and polls its
event stream every 50 ms, so its timings carry ~20-70 ms that are the client's, not the server's. This one speaks the
REST API (upload, join the queue, read the event stream, fetch the output files) over one httpx connection, in one
session as a page is (a call without one makes the server build a new session's state of every component, ~25% of
its busy time on the smile tab): the time it measures is the server's share of a visitor's call.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx


class LeanClient:
    """`predict(*args, api_name="/name")` as gradio_client's, over one kept-alive connection to `url`."""

    def __init__(self, url: str, timeout: float = 120.0):
        self.http = httpx.Client(base_url=url.rstrip("/") + "/gradio_api", timeout=timeout)
        self.session = uuid.uuid4().hex[:11]  # as the page makes one when it loads

    def _upload(self, value):
        """A gradio_client `handle_file` dict -> the server's FileData for the uploaded copy; anything else as is."""
        if not (isinstance(value, dict) and "path" in value and "url" not in value):
            return value
        path = Path(value["path"])
        with path.open("rb") as data:
            response = self.http.post("/upload", files=[("files", (path.name, data))])
        response.raise_for_status()
        return {"path": response.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}

    def predict(self, *args, api_name: str) -> list:
        """Upload the files among `args`, run the endpoint, fetch every output file; the outputs, or RuntimeError
        with the server's message."""
        route = f"/call{api_name}"
        response = self.http.post(route, json={"data": [self._upload(a) for a in args], "session_hash": self.session})
        response.raise_for_status()
        event, outputs = None, None
        with self.http.stream("GET", f"{route}/{response.json()['event_id']}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    outputs = json.loads(line[5:])
                    break
        if event != "complete":
            raise RuntimeError(f"{api_name}: {outputs}")
        for value in outputs:
            for file in value if isinstance(value, list) else [value]:
                if isinstance(file, dict) and file.get("url"):
                    self.http.get(file["url"]).raise_for_status()
        return outputs

    def close(self) -> None:
        self.http.close()
