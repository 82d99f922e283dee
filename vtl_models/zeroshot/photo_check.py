"""The real-photo check of mode 2: installed packages' photos, hand labels written before tuning (real_photos.json)."""

from __future__ import annotations

import json
from pathlib import Path

from vtl_models.images import to_rgb
from vtl_models.zeroshot.metrics import per_photo_map
from vtl_models.zeroshot.photos import EDGE_WEIGHT, PhotoGraph

CHECK_FILE = Path(__file__).resolve().parent / "real_photos.json"
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")


def photo_path(source: str, name: str) -> Path:
    """Where an installed package keeps a check photo."""
    if source == "skimage":
        import skimage

        return Path(skimage.__file__).parent / "data" / name
    return OPENCV_DATA / name


def load_check() -> list[dict]:
    """The photos of the check whose files are installed, each with its "image" (uint8 RGB) added."""
    photos = json.loads(CHECK_FILE.read_text())["photos"]
    out = []
    for photo in photos:
        path = photo_path(photo["source"], photo["file"])
        if path.exists():
            out.append(photo | {"image": to_rgb(path)})
    return out


def conse_photo_scores(graph: PhotoGraph, photos: list[dict], beliefs: list) -> list[dict[str, float]]:
    """Embedding-only baseline (ConSE): the whole image's top ImageNet classes, GloVe cosine with each label."""
    return [
        {label: graph.conse(label, belief.probs[0])[0] for label in photo["present"] + photo["absent"]}
        for photo, belief in zip(photos, beliefs, strict=True)
    ]


def graph_scores(graph: PhotoGraph, photos: list[dict], beliefs: list, edges) -> list[dict[str, float]]:
    """Each photo's labels scored by the strongest WordNet path over `edges`."""
    out = []
    for photo, belief in zip(photos, beliefs, strict=True):
        scores = {}
        for label in photo["present"] + photo["absent"]:
            found = graph.score(label, belief, edges)
            scores[label] = found[0].score if found else 0.0
        out.append(scores)
    return out


def run_check(graph: PhotoGraph) -> dict:
    """real_photo_mAP of the model, both baselines and the ablations (one source or edge removed at a time)."""
    photos = load_check()
    full = [graph.beliefs(p["image"]) for p in photos]
    whole_only = [type(b)(b.probs[:1], b.stuff) for b in full]
    no_stuff = [type(b)(b.probs[:1], {}) for b in full]
    all_edges = tuple(EDGE_WEIGHT)
    ablations = {"no_crops": per_photo_map(photos, graph_scores(graph, photos, whole_only, all_edges))}
    for edge in all_edges:
        kept = tuple(e for e in all_edges if e != edge)
        ablations[f"no_{edge}_edges"] = per_photo_map(photos, graph_scores(graph, photos, full, kept))
    for source in full[0].stuff:
        pruned = [type(b)(b.probs, {k: v for k, v in b.stuff.items() if k != source}) for b in full]
        ablations[f"no_{source}"] = per_photo_map(photos, graph_scores(graph, photos, pruned, all_edges))
    return {
        "n_photos": len(photos),
        "model": per_photo_map(photos, graph_scores(graph, photos, full, all_edges)),
        "fixed_propagation": per_photo_map(photos, graph_scores(graph, photos, no_stuff, ("hypernym",))),
        "embedding_only": per_photo_map(photos, conse_photo_scores(graph, photos, full)),
        "ablations": ablations,
    }
