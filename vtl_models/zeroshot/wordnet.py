"""The WordNet noun graph, read from the committed compact file: label resolution, hypernym paths, Wu-Palmer.

WordNet 3.0 Copyright 2006 by Princeton University (licence in WORDNET_LICENSE.txt beside this file).
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
from collections import deque
from functools import lru_cache
from pathlib import Path

from vtl_models.common import InvalidInput

WORDNET_FILE = Path(__file__).resolve().parent / "wordnet_nouns.json.gz"
# WordNet's noun detachment rules (morphy), tried in this order after the exception list.
NOUN_SUFFIXES = (("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"))
NOUN_SUFFIXES += (("ies", "y"), ("s", ""))


def normalise(label: str) -> str:
    """User text -> WordNet lemma form: lowercase, trimmed, inner spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", label.strip().lower()).strip("_")


class WordNet:
    """Noun synsets by position; hypernym edges; lemma -> synsets in sense order (most frequent first)."""

    def __init__(self, graph: dict):
        self.offsets: list[str] = graph["offsets"]
        self.lemmas: list[list[str]] = graph["lemmas"]
        self.hypernyms: list[list[int]] = graph["hypernyms"]
        self.parts: list[list[int]] = graph["parts"]
        self.index: dict[str, list[int]] = graph["index"]
        self.exceptions: dict[str, str] = graph["exceptions"]
        self.position = {offset: i for i, offset in enumerate(self.offsets)}
        self._words = None

    def name(self, synset: int) -> str:
        """The synset's first lemma, with spaces ("polar bear")."""
        return self.lemmas[synset][0].replace("_", " ")

    def from_wnid(self, wnid: str) -> int:
        """ImageNet id "n02123045" -> synset position."""
        return self.position[wnid[1:]]

    def lemma_forms(self, label: str) -> list[str]:
        """The lemma(s) a typed label may stand for: itself, its exception base, then suffix rules (morphy)."""
        word = normalise(label)
        forms = [word]
        if word in self.exceptions:
            forms.append(self.exceptions[word])
        head, _, last = word.rpartition("_")  # "polar bears": only the last word is a plural
        for suffix, ending in NOUN_SUFFIXES:
            if last.endswith(suffix) and len(last) > len(suffix):
                forms.append(f"{head}_{last[: -len(suffix)]}{ending}".lstrip("_"))
        return [f for f in dict.fromkeys(forms) if f in self.index]

    def resolve(self, label: str) -> list[int]:
        """Synsets of a typed label, most frequent sense first; InvalidInput naming near words when unknown."""
        forms = self.lemma_forms(label)
        if not forms:
            near = self.nearest(label)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise InvalidInput(f"{label.strip()!r} is not an English noun WordNet knows{hint}")
        return list(dict.fromkeys(s for form in forms for s in self.index[form]))

    def nearest(self, label: str, n: int = 3) -> list[str]:
        """Known lemmas that look most like `label` (difflib), with spaces."""
        word = normalise(label)
        if self._words is None:
            self._words = sorted(self.index)
        pool = [w for w in self._words if w[:1] == word[:1]] or self._words
        return [w.replace("_", " ") for w in difflib.get_close_matches(word, pool, n=n, cutoff=0.6)]

    def ancestors(self, synset: int) -> dict[int, int]:
        """Every hypernym of `synset` (itself included) -> its shortest distance in hypernym steps."""
        return _ancestors(self, synset)

    def depth(self, synset: int) -> int:
        """1 + the fewest hypernym steps from `synset` to a root (entity has depth 1)."""
        return 1 + min(d for s, d in self.ancestors(synset).items() if not self.hypernyms[s])

    def path_to(self, synset: int, ancestor: int) -> list[int]:
        """A shortest hypernym path synset -> ... -> ancestor (inclusive); [] if not an ancestor."""
        previous, queue = {synset: None}, deque([synset])
        while queue:
            node = queue.popleft()
            if node == ancestor:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return path[::-1]
            for up in self.hypernyms[node]:
                if up not in previous:
                    previous[up] = node
                    queue.append(up)
        return []

    def wup(self, a: int, b: int) -> float:
        """Wu-Palmer similarity: 2 depth(lcs) / (depth(a) + depth(b)), depths measured through the lcs."""
        up_a, up_b = self.ancestors(a), self.ancestors(b)
        common = set(up_a) & set(up_b)
        if not common:
            return 0.0
        best = 0.0
        for lcs in common:
            d = self.depth(lcs)
            best = max(best, 2 * d / (2 * d + up_a[lcs] + up_b[lcs]))
        return best


@lru_cache(maxsize=200_000)
def _ancestors(wordnet: WordNet, synset: int) -> dict[int, int]:
    dist, queue = {synset: 0}, deque([synset])
    while queue:
        node = queue.popleft()
        for up in wordnet.hypernyms[node]:
            if up not in dist:
                dist[up] = dist[node] + 1
                queue.append(up)
    return dist


@lru_cache(maxsize=1)
def load_wordnet(path: Path = WORDNET_FILE) -> WordNet:
    """The committed compact WordNet (read once per process)."""
    with gzip.open(path, "rb") as fh:
        return WordNet(json.loads(fh.read()))
