"""Debian's `sweethome3d-furniture` models: fetch the package, read its catalogues, map to the tab's categories,
keep what may be redistributed and trained on, and split by model.

    python -m vtl_models.shape3d.furniture            # fetch (or reuse) the package, print counts per category
    python -m vtl_models.shape3d.furniture --write-split

The package (120 MB, five .sh3f zip archives) is fetched with `apt-get download`, unpacked with `dpkg-deb -x` and
unzipped under data/sh3d/ (git-ignored); an already downloaded .deb in data/sh3d/ or /tmp/sh3d/ is reused. Each
archive's PluginFurnitureCatalog.properties lists its models (name, category, OBJ path, width/depth/height in cm,
creator, optional 3x3 `modelRotation`). The split, fixed up front and committed, is `furniture_split.json`.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vtl_models.shape3d.shapes import CATEGORIES

PACKAGE = "sweethome3d-furniture"
PACKAGE_VERSION = "1.8-1"  # the version the committed split was made from (its test checks the split still matches)
ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data" / "sh3d"
SPLIT_FILE = Path(__file__).with_name("furniture_split.json")
SPLIT_SEED = 0
# Licence of each archive as Debian's copyright file states it; BlendSwap models carry their own licence file too.
ARCHIVE_LICENCE = {
    "BlendSwap-CC-0": "CC0-1.0",
    "BlendSwap-CC-BY": "CC-BY-3.0",
    "KatorLegaz": "CC-BY-3.0-US",
    "Reallusion": "CC-BY-3.0-US",
    "Scopia": "CC-BY-3.0",
}
ARCHIVE_COPYRIGHT = {
    "BlendSwap-CC-0": "the Blend Swap author named as creator; converted by Emmanuel Puybaret / eTeks",
    "BlendSwap-CC-BY": "the Blend Swap author named as creator; converted by Emmanuel Puybaret / eTeks",
    "KatorLegaz": "2003-2008 Andrew Kator & Jennifer Legaz",
    "Reallusion": "2008-2016 Reallusion",
    "Scopia": "Scopia Visual Interfaces Systems, s.l. (some models with Emmanuel Puybaret / eTeks)",
}
ALLOWED_LICENCES = ("CC0-1.0", "CC-BY-3.0", "CC-BY-3.0-US")  # redistribution, derivatives and training allowed
_MODEL_LICENCE = {"Creative Commons Zero": "CC0-1.0", "Creative Commons Attribution 3.0": "CC-BY-3.0"}

# Tab category <- catalogue name: first matching rule wins; `exclude` names what the words also catch but is not
# the tab's object (a pool table is no table, a ceiling lamp cannot stand on its own, a cup cake is no cup).
CATEGORY_RULES = (
    (
        "lamp",
        r"\blamp\b|lamppost|lantern|\blight\b",
        r"ceiling|hanging|pendant|chandelier|wall|track|fluorescent|porch|stone",
    ),
    ("vase", r"\bvase\b|tulips|lily|^flowers$", r""),
    ("mug", r"\bcup\b|\bmug\b|\bglass\b", r"cake|plate|cutlery|door|table|sunglass"),
    ("sofa", r"\bsofa\b|\bcouch\b", r"opened"),
    ("chair", r"chair|\bstool\b|class seat", r"wheel|high chair|deck|beach|relax|lounge|ottoman"),
    ("table", r"\btable\b|\bdesk\b", r"bedside|pool|football|fan|tennis|dressing|changing"),
)


@dataclass(frozen=True)
class FurnitureModel:
    """One catalogue entry: where its OBJ is, how big it is, what it is and under which licence."""

    id: str  # "<archive>:<model folder>", unique across the package
    name: str
    category: str | None  # the tab's category, None when the model is none of them
    catalogue_category: str
    obj: str  # path of the OBJ inside the unzipped archive
    size_cm: tuple[float, float, float]  # width (x), height (y), depth (z) once rotated upright
    rotation: tuple[float, ...] | None  # row-major 3x3 that stands the OBJ upright, front to +z
    creator: str
    licence: str
    copyright: str


def fetch(data_dir: Path = DATA_DIR) -> Path:
    """The unzipped archives' folder (data/sh3d/u), downloading and unpacking the package first when needed."""
    unzipped = data_dir / "u"
    if (unzipped / "Scopia" / "PluginFurnitureCatalog.properties").exists():
        return unzipped
    data_dir.mkdir(parents=True, exist_ok=True)
    debs = sorted(data_dir.glob(f"{PACKAGE}_*.deb")) or sorted(Path("/tmp/sh3d").glob(f"{PACKAGE}_*.deb"))
    if not debs:
        subprocess.run(["apt-get", "download", PACKAGE], cwd=data_dir, check=True)
        debs = sorted(data_dir.glob(f"{PACKAGE}_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(data_dir / "x")], check=True)
    for archive in sorted((data_dir / "x" / "usr" / "share" / "sweethome3d" / "furniture").glob("*.sh3f")):
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(unzipped / archive.stem)
    shutil.copy(data_dir / "x" / "usr" / "share" / "doc" / PACKAGE / "copyright", unzipped / "copyright")
    return unzipped


def read_properties(raw: bytes) -> dict[str, str]:
    """A Java .properties file: ISO-8859-1 bytes (Scopia's hold a few raw high bytes), \\uXXXX escapes, `\\` line
    continuations, `#` comments."""
    text = re.sub(r"\\\r?\n[ \t]*", "", raw.decode("latin-1"))
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#!" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        out[key.strip()] = re.sub(r"\\u([0-9a-fA-F]{4})|\\(.)", _unescape, value.strip())
    return out


def _unescape(match: re.Match) -> str:
    return chr(int(match.group(1), 16)) if match.group(1) else match.group(2)


def tab_category(name: str) -> str | None:
    """The tab category a catalogue name belongs to (CATEGORY_RULES), or None."""
    lower = name.lower()
    for category, include, exclude in CATEGORY_RULES:
        if re.search(include, lower) and not (exclude and re.search(exclude, lower)):
            return category
    return None


def model_licence(archive: str, folder: Path) -> str:
    """The model's own licence file where Blend Swap left one ("Released under ..."), else its archive's licence."""
    for path in sorted(folder.glob("*LICENSE*")):
        found = re.search(r"Released under\s*(?:<a[^>]*>)?\s*([^<\r\n]+)", path.read_text("latin-1"))
        if found:
            text = found.group(1).strip()
            return next((spdx for prefix, spdx in _MODEL_LICENCE.items() if text.startswith(prefix)), text)
    return ARCHIVE_LICENCE[archive]


def read_catalogue(unzipped: Path, archives: tuple[str, ...] = tuple(ARCHIVE_LICENCE)) -> list[FurnitureModel]:
    """Every model of the archives (by default all five), in catalogue order."""
    models = []
    for archive in archives:
        props = read_properties((unzipped / archive / "PluginFurnitureCatalog.properties").read_bytes())
        indices = sorted(int(k.split("#")[1]) for k in props if k.startswith("model#"))
        for i in indices:

            def get(key: str, i: int = i, props: dict = props) -> str:
                return props.get(f"{key}#{i}", "")

            obj = get("model").lstrip("/")
            rotation = tuple(float(x) for x in get("modelRotation").split()) or None
            models.append(
                FurnitureModel(
                    id=f"{archive}:{Path(obj).parent.name}",
                    name=get("name"),
                    # a default elevation above the floor marks a hanging or wall-mounted piece: no standing lamp
                    category=None if float(get("elevation") or 0) > 0 else tab_category(get("name")),
                    catalogue_category=get("category"),
                    obj=obj,
                    size_cm=(float(get("width")), float(get("height")), float(get("depth"))),
                    rotation=rotation,
                    creator=get("creator"),
                    licence=model_licence(archive, (unzipped / archive / obj).parent),
                    copyright=ARCHIVE_COPYRIGHT[archive],
                )
            )
    return models


def usable(models: list[FurnitureModel]) -> list[FurnitureModel]:
    """The models of the tab's categories whose licence allows redistribution and training."""
    return [m for m in models if m.category and m.licence in ALLOWED_LICENCES]


def make_split(models: list[FurnitureModel], seed: int = SPLIT_SEED, share: float = 0.15) -> dict[str, str]:
    """model id -> train/val/test: within each category a seeded shuffle gives `share` to validation and to test
    (at least one model each), the rest to training."""
    split = {}
    for index, category in enumerate(CATEGORIES):  # one generator per category: a category's split stands alone
        ids = sorted(m.id for m in models if m.category == category)
        np.random.default_rng([seed, index]).shuffle(ids)
        n_held = max(1, round(share * len(ids)))
        for k, model_id in enumerate(ids):
            split[model_id] = "val" if k < n_held else "test" if k < 2 * n_held else "train"
    return split


def write_split(models: list[FurnitureModel], path: Path = SPLIT_FILE) -> None:
    """The committed split: one line per usable model (id, split, category, name, creator, licence), with the
    copyright holder of each archive."""
    split = make_split(models)
    keys = ("id", "split", "category", "name", "creator", "licence")
    records = [
        json.dumps({"id": m.id, "split": split[m.id], **{k: getattr(m, k) for k in keys[2:]}}, ensure_ascii=False)
        for m in sorted(models, key=lambda m: (CATEGORIES.index(m.category), m.id))
    ]
    note = (
        f"Debian {PACKAGE} {PACKAGE_VERSION}: the models of the tab's categories under CC0/CC-BY, split by model"
        f" within each category (seed {SPLIT_SEED}). Attribution: keep each model's name, creator, licence and"
        " its archive's copyright holder with anything made from it."
    )
    head = json.dumps({"note": note, "copyright": ARCHIVE_COPYRIGHT}, indent=1, ensure_ascii=False)[:-2]
    path.write_text(head + ',\n "models": [\n  ' + ",\n  ".join(records) + "\n ]\n}\n")


def read_split(split: str, path: Path = SPLIT_FILE) -> list[dict]:
    """The committed records of one split (train, val or test)."""
    return [r for r in json.loads(path.read_text())["models"] if r["split"] == split]


def main(argv: list[str] | None = None) -> None:
    """CLI: fetch the package, print the category and licence counts, optionally rewrite the committed split."""
    parser = argparse.ArgumentParser(prog="python -m vtl_models.shape3d.furniture")
    parser.add_argument("--write-split", action="store_true", help=f"rewrite {SPLIT_FILE.name}")
    args = parser.parse_args(argv)
    models = read_catalogue(fetch())
    kept = usable(models)
    print(f"{len(models)} models; licences {dict(Counter(m.licence for m in models))}")
    print(f"kept {len(kept)}: {dict(Counter(m.category for m in kept))}")
    if args.write_split:
        write_split(kept)
        print(f"wrote {SPLIT_FILE}")


if __name__ == "__main__":
    main()
