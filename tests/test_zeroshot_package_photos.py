"""Photo mode's second photo sets (tuning2, heldout2: Debian-package photos): the labels, the seeded split, the .rcc
reader, and the photos themselves when package_photos --extract has put them in data/ (skipped otherwise)."""

from __future__ import annotations

import hashlib
import json
import random
import struct
import zlib

import pytest

from vtl_models.zeroshot.package_photos import (
    DEBIAN_PACKAGES,
    HELDOUT2_FILE,
    TUNING2_FILE,
    photo_path,
    read_rcc,
)
from vtl_models.zeroshot.photo_check import CHECK_FILE, HELDOUT_FILE, run_check
from vtl_models.zeroshot.wordnet import load_wordnet

# heldout2_photos.json as committed in e193e12, before any run of photo mode on its photos: its labels never change
HELDOUT2_SHA256 = "bb52b819eae95c3a883fe4cf4f111771e7be358c2eeb79e1efcab84cb85e110a"
EXTRACT = "python -m vtl_models.zeroshot.package_photos --extract --debs DIR (see its docstring)"


def _photos(path) -> list[dict]:
    return json.loads(path.read_text())["photos"]


def _names(path) -> set[tuple[str, str]]:
    return {(photo["source"], photo["file"]) for photo in _photos(path)}


def test_second_sets_are_new_disjoint_and_labelled_with_known_nouns():
    """heldout2 (>= 30) and tuning2 (>= 30) share no photo with each other nor with the older sets; each photo has
    present labels (3-6 in heldout2; 1-7 in tuning2, as written) and 4-5 absent ones WordNet resolves, a licence and
    an author."""
    assert hashlib.sha256(HELDOUT2_FILE.read_bytes()).hexdigest() == HELDOUT2_SHA256
    wordnet = load_wordnet()
    held, tune = _names(HELDOUT2_FILE), _names(TUNING2_FILE)
    assert len(held) == len(_photos(HELDOUT2_FILE)) >= 30 and len(tune) == len(_photos(TUNING2_FILE)) >= 30
    assert not held & tune and not (held | tune) & (_names(CHECK_FILE) | _names(HELDOUT_FILE))
    for labels_file, fewest, most in ((HELDOUT2_FILE, 3, 6), (TUNING2_FILE, 1, 7)):
        assert "before any run of photo mode" in json.loads(labels_file.read_text())["written"]
        for photo in _photos(labels_file):
            present, absent = photo["present"], photo["absent"]
            assert fewest <= len(present) <= most and 4 <= len(absent) <= 5, photo["file"]
            assert len(set(present) | set(absent)) == len(present) + len(absent), photo["file"]
            assert all(wordnet.resolve(label) for label in present + absent)  # raises on an unknown noun
            assert photo["source"] in DEBIAN_PACKAGES and photo["licence"] and photo["author"], photo["file"]


def test_split_is_the_recorded_seeded_draw():
    """heldout2 is the first 40 of the pooled photos sorted by (source, file) and shuffled by random.Random(36)."""
    split = json.loads(HELDOUT2_FILE.read_text())["split"]
    pool = sorted(_names(HELDOUT2_FILE) | _names(TUNING2_FILE))
    random.Random(split["seed"]).shuffle(pool)
    assert set(pool[:40]) == _names(HELDOUT2_FILE) and split["seed"] == 36


def test_rcc_reader_reads_a_nested_compressed_file():
    """A hand-built version-1 .rcc: root -> folder "a" -> zlib-compressed file "b.txt"."""
    names = b""
    offsets = {}
    for name in ("a", "b.txt"):
        offsets[name] = len(names)
        names += struct.pack(">HI", len(name), 0) + name.encode("utf-16-be")
    text = b"hello photos"
    packed = struct.pack(">I", len(text)) + zlib.compress(text)  # uncompressed length, then the zlib stream
    data = struct.pack(">I", len(packed)) + packed
    tree = struct.pack(">IHII", 0, 2, 1, 1)  # root: a folder with 1 child from node 1
    tree += struct.pack(">IHII", offsets["a"], 2, 1, 2)
    tree += struct.pack(">IHHHI", offsets["b.txt"], 1, 0, 0, 0)  # compressed file, data at 0
    header = 20
    blob = b"qres" + struct.pack(">IIII", 1, header, header + len(tree), header + len(tree) + len(data))
    assert read_rcc(blob + tree + data + names) == {"/a/b.txt": text}


def test_extracted_photos_load_or_the_check_skips_them(tmp_path):
    """Without the extracted photos a set reports no figure (CI); with them every listed photo is there."""
    missing = tmp_path / "labels.json"
    missing.write_text(json.dumps({"photos": [{"source": "tuxpaint-data", "file": "no/such.jpg"}]}))
    assert run_check(None, missing) == {"n_photos": 0, "mAP": None, "baselines": {}, "ablations": {}}
    paths = [photo_path(p["source"], p["file"]) for f in (TUNING2_FILE, HELDOUT2_FILE) for p in _photos(f)]
    if not any(path.exists() for path in paths):
        pytest.skip(f"the Debian-package photos are not extracted: {EXTRACT}")
    assert all(path.is_file() for path in paths)
