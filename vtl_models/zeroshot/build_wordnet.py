"""Build the compact WordNet noun file the zero-shot tab reads (run once; its output is committed).

    python -m vtl_models.zeroshot.build_wordnet [--wordnet /usr/share/wordnet]

Reads WordNet 3.0 (Debian `wordnet-base`: data.noun, index.noun, noun.exc) and writes
vtl_models/zeroshot/wordnet_nouns.json.gz: every noun synset with its lemmas, hypernyms (instance hypernyms included)
and part meronyms, each lemma's synsets in WordNet's sense order, and the plural exceptions. The app reads only
that file, so it needs no Debian package at run time. WordNet's licence travels inside the file and in
WORDNET_LICENSE.txt beside it.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from vtl_models.zeroshot.wordnet import WORDNET_FILE

HYPERNYM_POINTERS = ("@", "@i")  # hypernym, instance hypernym
PART_MERONYM_POINTER = "%p"  # "has part": a whole present makes its parts likely


def parse_data(path: Path) -> tuple[list[str], list[list[str]], list[list[str]], list[list[str]]]:
    """data.noun -> offsets, lemmas, hypernym offsets and part-meronym offsets, one entry per synset."""
    offsets, lemmas, hypernyms, parts = [], [], [], []
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):  # the licence header
            continue
        fields = line.split(" | ", 1)[0].split()
        offset, n_words = fields[0], int(fields[3], 16)
        words = [fields[4 + 2 * i].lower() for i in range(n_words)]
        words = [w.split("(")[0] for w in words]  # drop adjective markers such as "(a)"
        rest = fields[4 + 2 * n_words :]
        n_pointers = int(rest[0])
        up, part = [], []
        for i in range(n_pointers):
            symbol, target, pos = rest[1 + 4 * i], rest[2 + 4 * i], rest[3 + 4 * i]
            if pos != "n":
                continue
            if symbol in HYPERNYM_POINTERS:
                up.append(target)
            elif symbol == PART_MERONYM_POINTER:
                part.append(target)
        offsets.append(offset)
        lemmas.append(list(dict.fromkeys(words)))
        hypernyms.append(up)
        parts.append(part)
    return offsets, lemmas, hypernyms, parts


def parse_index(path: Path) -> dict[str, list[str]]:
    """index.noun -> lemma -> synset offsets in WordNet's sense order (most frequent first)."""
    out = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        fields = line.split()
        n_synsets, n_pointers = int(fields[2]), int(fields[3])
        out[fields[0]] = fields[4 + n_pointers + 2 : 4 + n_pointers + 2 + n_synsets]
    return out


def parse_exceptions(path: Path) -> dict[str, str]:
    """noun.exc -> irregular plural -> base form (the first one WordNet lists)."""
    out = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        fields = line.split()
        if len(fields) >= 2:
            out.setdefault(fields[0], fields[1])
    return out


def build(wordnet_dir: Path) -> dict:
    """The compact noun graph: synsets by position, edges as positions, lemma index, exceptions, licence."""
    offsets, lemmas, hypernyms, parts = parse_data(wordnet_dir / "data.noun")
    position = {offset: i for i, offset in enumerate(offsets)}
    index = parse_index(wordnet_dir / "index.noun")
    licence = Path("/usr/share/doc/wordnet-base/copyright")
    return {
        "about": "WordNet 3.0 noun synsets (lemmas, hypernyms, part meronyms), built by "
        "vtl_models/zeroshot/build_wordnet.py from Debian wordnet-base",
        "licence": licence.read_text().split("Files: debian/*")[0] if licence.exists() else "WordNet 3.0 licence",
        "offsets": offsets,
        "lemmas": lemmas,
        "hypernyms": [[position[o] for o in up] for up in hypernyms],
        "parts": [[position[o] for o in part] for part in parts],
        "index": {lemma: [position[o] for o in synsets] for lemma, synsets in index.items()},
        "exceptions": parse_exceptions(wordnet_dir / "noun.exc"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    args = parser.parse_args(argv)
    graph = build(args.wordnet)
    payload = json.dumps(graph, separators=(",", ":")).encode()
    with gzip.GzipFile(WORDNET_FILE, "wb", mtime=0) as fh:  # mtime=0: the same input gives the same bytes
        fh.write(payload)
    (WORDNET_FILE.parent / "WORDNET_LICENSE.txt").write_text(graph["licence"])
    print(f"{WORDNET_FILE}: {len(graph['offsets'])} synsets, {WORDNET_FILE.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
