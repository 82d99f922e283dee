"""Word vectors of any typed label, from the committed GloVe vocabulary (glove_words.npz; GloVe 6B 50-d, PDDL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

VOCABULARY_FILE = Path(__file__).resolve().parent / "glove_words.npz"


class WordVectors:
    """~30k GloVe words (int8 + one scale each): unit vectors of words and of phrases (mean of their words)."""

    def __init__(self, path: Path = VOCABULARY_FILE):
        data = np.load(path)
        vectors = data["vectors"].astype(np.float32) * data["scales"][:, None]
        self.vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        self.index = {w: i for i, w in enumerate(data["words"].tolist())}

    def phrase(self, text: str) -> np.ndarray | None:
        """Unit vector of a phrase ("polar bear", "fire_engine"); None if none of its words is known."""
        words = text.lower().replace("_", " ").replace("-", " ").replace(",", " ").split()
        found = [self.vectors[self.index[w]] for w in words if w in self.index]
        if not found:
            return None
        mean = np.mean(found, axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-8)


@lru_cache(maxsize=1)
def load_word_vectors() -> WordVectors:
    """The committed vocabulary (read once per process)."""
    return WordVectors()
