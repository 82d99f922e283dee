"""Photo mode's second photo sets (tuning2, heldout2): photos shipped in Debian packages, copied into data/.

No photo is committed: `--extract` copies the files the label files name from the packages into PHOTO_ROOT, taking
each package from /usr/share when it is installed, else from its .deb (`apt-get download NAME`) in --debs:

    apt-get download gcompris-qt-data lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 plasma-workspace-wallpapers \
        mate-backgrounds lxqt-themes palapeli-data tuxpaint-data
    python -m vtl_models.zeroshot.package_photos --extract --debs .

A file "a.rcc:/b/c.webp" is the member /b/c.webp of the Qt resource file a.rcc (GCompris keeps its images in them).
"""

from __future__ import annotations

import argparse
import json
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
PHOTO_ROOT = HERE.parents[1] / "data" / "package_photos"
TUNING2_FILE = HERE / "tuning2_photos.json"
HELDOUT2_FILE = HERE / "heldout2_photos.json"
DEBIAN_PACKAGES = ("gcompris-qt-data", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04", "mate-backgrounds")
DEBIAN_PACKAGES += ("plasma-workspace-wallpapers", "lxqt-themes", "palapeli-data", "tuxpaint-data")


def photo_path(source: str, name: str) -> Path:
    """Where --extract puts a package's photo (it may be absent: the checks skip it then)."""
    return PHOTO_ROOT / source / name.replace(".rcc:/", ".rcc/")


def read_rcc(data: bytes) -> dict[str, bytes]:
    """Every file of a Qt binary resource (.rcc) by its path: header, node tree, UTF-16 names, zlib payloads."""
    if data[:4] != b"qres":
        raise ValueError("not a Qt resource file")
    version, tree, payloads, names = struct.unpack(">IIII", data[4:20])
    node_size = 14 if version == 1 else 22  # version 2+ adds a modification time to each node

    def name(offset: int) -> str:
        length = struct.unpack(">H", data[names + offset : names + offset + 2])[0]
        return data[names + offset + 6 : names + offset + 6 + 2 * length].decode("utf-16-be")

    out: dict[str, bytes] = {}
    stack = [(0, "")]
    while stack:
        index, parent = stack.pop()
        node = tree + index * node_size
        name_offset, flags = struct.unpack(">IH", data[node : node + 6])
        path = f"{parent}/{name(name_offset)}" if index else ""
        if flags & 2:  # a directory: its children are consecutive nodes
            count, first = struct.unpack(">II", data[node + 6 : node + 14])
            stack += [(child, path) for child in range(first, first + count)]
            continue
        start = payloads + struct.unpack(">I", data[node + 10 : node + 14])[0]
        size = struct.unpack(">I", data[start : start + 4])[0]
        raw = data[start + 4 : start + 4 + size]
        out[path] = zlib.decompress(raw[4:]) if flags & 1 else raw  # compressed: 4-byte length, then zlib
    return out


def _package_root(package: str, debs: Path, scratch: Path) -> Path:
    """The installed system (/) when the package is installed, else its .deb unpacked into scratch."""
    listed = Path(f"/var/lib/dpkg/info/{package}.list")
    if listed.exists():
        return Path("/")
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        raise SystemExit(f"{package}: not installed and no {package}_*.deb in {debs} (apt-get download {package})")
    subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(scratch / package)], check=True)
    return scratch / package


def extract(debs: Path, label_files: tuple[Path, ...] = (TUNING2_FILE, HELDOUT2_FILE)) -> int:
    """Copy every photo the label files name from its package into PHOTO_ROOT; returns how many were copied."""
    wanted: dict[str, list[str]] = {}
    for label_file in label_files:
        for photo in json.loads(label_file.read_text())["photos"]:
            wanted.setdefault(photo["source"], []).append(photo["file"])
    copied = 0
    with tempfile.TemporaryDirectory() as scratch:
        for package, files in wanted.items():
            root = _package_root(package, debs, Path(scratch))
            resources: dict[str, dict[str, bytes]] = {}
            for name in files:
                target = photo_path(package, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                if ".rcc:" in name:
                    rcc, member = name.split(":", 1)
                    if rcc not in resources:
                        resources[rcc] = read_rcc((root / rcc).read_bytes())
                    target.write_bytes(resources[rcc][member])
                else:
                    shutil.copyfile(root / name, target)
                copied += 1
    return copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--extract", action="store_true", help="copy the label files' photos into data/")
    parser.add_argument("--debs", type=Path, default=Path("."), help="folder of the downloaded .deb files")
    args = parser.parse_args()
    if args.extract:
        print(f"{extract(args.debs)} photos in {PHOTO_ROOT}")


if __name__ == "__main__":
    main()
