"""Image to 3D furniture data: catalogue, licences, split, normalisation, voxels and renders.

Runs on the two CC0 models committed under tests/data/shape3d_furniture/ and on trimesh stand-ins; only the check
that the committed split still matches the whole catalogue needs Debian's 120 MB package, and skips without it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from PIL import Image

from vtl_models.render import Renderer
from vtl_models.shape3d import data
from vtl_models.shape3d.furniture import (
    ALLOWED_LICENCES,
    DATA_DIR,
    SPLIT_FILE,
    FurnitureModel,
    make_split,
    model_licence,
    read_catalogue,
    read_properties,
    tab_category,
    usable,
    write_split,
)
from vtl_models.shape3d.furniture_mesh import (
    load_furniture,
    rotational_symmetry,
    sample_texture,
    upright_rotation,
    voxelise,
)
from vtl_models.shape3d.furniture_views import cached_mesh, render_models, textured_background
from vtl_models.shape3d.model import project_voxels
from vtl_models.shape3d.shapes import CATEGORIES, EXTENT

MODELS = Path(__file__).parent / "data" / "shape3d_furniture"
UNPACKED = DATA_DIR / "u"
needs_package = pytest.mark.skipif(
    not (UNPACKED / "Scopia" / "PluginFurnitureCatalog.properties").exists(),
    reason="needs Debian's sweethome3d-furniture (120 MB, not installed in CI) unpacked in data/sh3d: "
    "python -m vtl_models.shape3d.furniture",
)


@pytest.fixture(scope="module")
def catalogue() -> list[FurnitureModel]:
    return read_catalogue(MODELS, ("BlendSwap-CC-0",))


@pytest.fixture(scope="module")
def meshes(catalogue):
    return [load_furniture(MODELS / "BlendSwap-CC-0" / m.obj, m.rotation, m.size_cm) for m in catalogue]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    r = Renderer(data.RENDER_SIZE, samples=4)
    yield r
    r.release()


def test_properties_are_read_as_latin1_with_escapes_and_continuations():
    raw = "# a comment\nname#1=Caf\\u00e9 chair\ncreator#1=Scopia \xa9\nmodelRotation#1=1 0 0 \\\n   0 0 1 0 -1 0\n"
    props = read_properties(raw.encode("latin-1"))
    assert props == {"name#1": "Café chair", "creator#1": "Scopia ©", "modelRotation#1": "1 0 0 0 0 1 0 -1 0"}


@pytest.mark.parametrize(
    "name,category",
    [
        ("Armchair", "chair"),
        ("Bar stool", "chair"),
        ("Wheelchair", None),
        ("Deck chair", None),
        ("Baby high chair", None),
        ("Coffee table", "table"),
        ("Desk", "table"),
        ("Pool table", None),
        ("Bedside table", None),
        ("Table fan", None),
        ("Desk lamp", "lamp"),
        ("Pedestal vase lamp", "lamp"),
        ("Ceiling lamp", None),
        ("Corner sofa", "sofa"),
        ("Opened convertible sofa BZ", None),
        ("Coffee mug", "mug"),
        ("Cocktail glass", "mug"),
        ("Cup cake", None),
        ("Cupboard", None),
        ("Glass door cabinet", None),
        ("Vase", "vase"),
    ],
)
def test_catalogue_names_map_to_the_tab_categories(name, category):
    assert tab_category(name) == category


def test_catalogue_of_the_committed_models(catalogue):
    got = [(m.id, m.category, m.licence, m.creator) for m in catalogue]
    assert got == [
        ("BlendSwap-CC-0:foldingChair", "chair", "CC0-1.0", "Cocoblendy"),
        ("BlendSwap-CC-0:table", "table", "CC0-1.0", "MZiemys"),
    ]
    assert catalogue[1].size_cm == (235.0, 73.9, 100.0) and catalogue[1].rotation is None
    assert usable(catalogue) == catalogue


def test_hanging_and_wall_pieces_are_left_out(tmp_path):
    (tmp_path / "Scopia").mkdir()
    entries = "model#1=/s/a/a.obj\nname#1=Lamp\nelevation#1=186.6\nmodel#2=/s/b/b.obj\nname#2=Lamp\n"
    sizes = "".join(f"{k}#{i}=10\n" for k in ("width", "depth", "height") for i in (1, 2))
    (tmp_path / "Scopia" / "PluginFurnitureCatalog.properties").write_text(entries + sizes)
    assert [m.category for m in read_catalogue(tmp_path, ("Scopia",))] == [None, "lamp"]  # the first hangs


def test_a_models_own_licence_file_overrides_its_archive(tmp_path):
    assert model_licence("Scopia", tmp_path) == "CC-BY-3.0"  # no file: the archive's licence
    notice = tmp_path / "BLENDSWAP_LICENSE.txt"
    notice.write_text("Thank you\nReleased under\nCreative Commons Attribution 3.0\n")
    assert model_licence("BlendSwap-CC-0", tmp_path) == "CC-BY-3.0"
    notice.write_text("Released under\nCreative Commons Attribution-NonCommercial 3.0\n")
    assert model_licence("BlendSwap-CC-0", tmp_path) not in ALLOWED_LICENCES


def _fake_models(counts: dict[str, int]) -> list[FurnitureModel]:
    return [
        FurnitureModel(f"A:{c}{i}", c, c, "", "", (1.0, 1.0, 1.0), None, "someone", "CC0-1.0", "")
        for c, n in counts.items()
        for i in range(n)
    ]


def test_split_is_seeded_stratified_and_keeps_every_category_in_every_split():
    models = _fake_models({"chair": 40, "table": 20, "vase": 3})
    split = make_split(models)
    assert split == make_split(list(reversed(models)))  # fixed by the seed, not by catalogue order
    by_category = {c: Counter(split[m.id] for m in models if m.category == c) for c in ("chair", "table", "vase")}
    assert by_category["chair"] == {"train": 28, "val": 6, "test": 6}
    assert by_category["vase"] == {"train": 1, "val": 1, "test": 1}
    assert make_split(models, seed=1) != split


def test_committed_split_is_disjoint_stratified_and_attributed():
    records = json.loads(SPLIT_FILE.read_text())["models"]
    assert len({r["id"] for r in records}) == len(records)  # each model in exactly one split
    for category in CATEGORIES:
        counts = Counter(r["split"] for r in records if r["category"] == category)
        assert counts["val"] >= 1 and counts["test"] >= 1 and counts["train"] > counts["val"], category
    assert all(r["licence"] in ALLOWED_LICENCES and r["creator"] and r["name"] for r in records)


@needs_package
def test_committed_split_is_what_the_catalogue_gives(tmp_path):
    write_split(usable(read_catalogue(UNPACKED)), tmp_path / "split.json")
    assert (tmp_path / "split.json").read_text() == SPLIT_FILE.read_text()


def test_upright_rotation_applies_model_rotation_and_puts_the_width_along_x():
    assert np.allclose(upright_rotation(None, np.array([2.0, 1.0, 0.5]), (200, 100, 50)), np.eye(3))
    z_up = (1, 0, 0, 0, 0, 1, 0, -1, 0)  # the OBJ's height is along z
    r = upright_rotation(z_up, np.array([2.0, 0.5, 1.0]), (200, 100, 50))
    assert np.allclose(np.abs(r) @ [2.0, 0.5, 1.0], [2.0, 1.0, 0.5])
    turned = upright_rotation(None, np.array([0.5, 1.0, 2.0]), (200, 100, 50))  # catalogue: width is the long side
    assert np.allclose(np.abs(turned) @ [0.5, 1.0, 2.0], [2.0, 1.0, 0.5])


def test_texture_lookup_has_v_up_and_repeats():
    image = np.zeros((4, 2, 3), np.uint8)
    image[:2] = (255, 0, 0)  # top half red, bottom half blue, as an OBJ's v = 1 is the image's top row
    image[2:] = (0, 0, 255)
    uv = np.array([[0.2, 0.9], [0.7, 0.1], [1.2, 1.9], [-0.8, -0.9]])
    assert sample_texture(image, uv).tolist() == [[255, 0, 0], [0, 0, 255], [255, 0, 0], [0, 0, 255]]


def test_models_are_centred_scaled_upright_and_coloured(catalogue, meshes):
    for model, mesh in zip(catalogue, meshes, strict=True):
        lo, hi = mesh.vertices.min(0), mesh.vertices.max(0)
        assert np.allclose(lo + hi, 0, atol=1e-5) and np.isclose((hi - lo).max(), EXTENT, atol=1e-5)
        width, height, depth = model.size_cm
        assert np.allclose(
            (hi - lo) / (hi - lo).max(), np.array([width, height, depth]) / max(model.size_cm), atol=0.06
        )
    chair, table = meshes
    assert {tuple(c) for c in chair.colors} == {(59, 71, 54), (26, 26, 26)}  # its two materials' Kd colours
    wood = np.asarray(Image.open(MODELS / "BlendSwap-CC-0/blendswap-cc-0/table/Wood_013_COLOR.jpg").convert("RGB"))
    assert np.abs(table.colors.mean(0) - wood.reshape(-1, 3).mean(0)).max() < 25  # sampled from the wood map
    assert table.colors.std(0).min() > 5  # grain, not one flat colour
    assert chair.symmetry == 2 and table.symmetry == 2  # the folding chair is an X-frame stool: front = back


def _grid(mesh: trimesh.Trimesh) -> np.ndarray:
    return voxelise(np.asarray(mesh.vertices, np.float32), np.asarray(mesh.faces))[0]


def test_voxelisation_fills_closed_shells_and_leaves_open_ones_hollow():
    box = trimesh.creation.box(extents=(0.5, 0.3, 0.4))
    solid, shell = voxelise(np.asarray(box.vertices, np.float32), np.asarray(box.faces))
    z, y, x = np.nonzero(solid)
    assert solid[z.min() : z.max() + 1, y.min() : y.max() + 1, x.min() : x.max() + 1].all() and shell < solid.sum()
    up = box.face_normals[:, 1] > 0.5
    open_box = trimesh.Trimesh(box.vertices, box.faces[~up])  # no lid: the inside connects to the outside
    hollow = _grid(open_box)
    assert not hollow[16, 16, 16] and hollow.sum() < solid.sum()


def test_symmetry_is_read_off_the_grid():
    upright = trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0])  # trimesh builds cylinders along z
    assert rotational_symmetry(_grid(trimesh.creation.cylinder(0.3, 0.6, sections=48, transform=upright))) == 0
    assert rotational_symmetry(_grid(trimesh.creation.box(extents=(0.6, 0.3, 0.6)))) == 4
    assert rotational_symmetry(_grid(trimesh.creation.box(extents=(0.8, 0.3, 0.4)))) == 2
    assert rotational_symmetry(_grid(_l_shape())) == 1


def _l_shape() -> trimesh.Trimesh:
    long = trimesh.creation.box(extents=(0.8, 0.2, 0.2))
    short = trimesh.creation.box(extents=(0.2, 0.2, 0.5))
    short.apply_translation([0.3, 0, 0.3])
    return trimesh.util.concatenate([long, short])


def test_voxels_agree_with_the_rendered_silhouette(meshes, renderer):
    for mesh in meshes:
        _, mask = renderer.render(mesh.vertices, mesh.faces, mesh.colors, data.camera_for(20.0, 25.0))
        projected = project_voxels(
            torch.from_numpy(mesh.voxels).float()[None],
            torch.tensor([20.0]),
            torch.tensor([25.0]),
            data.CAMERA_DISTANCE,
            data.CAMERA_FOV,
        )[0].numpy()
        # a voxel is set wherever the surface passes, so parts thinner than a voxel (the chair's tubes) fill whole
        # voxels: compared with the pixels the object covers at all, not with the half-covered ones
        ours, rendered = projected > 0.5, data.downsample(mask, 32) > 0.1
        assert (ours & rendered).sum() / (ours | rendered).sum() > 0.75


def test_views_come_in_the_generators_format_and_are_deterministic(catalogue, meshes, renderer, tmp_path):
    records = [{"id": m.id, "category": m.category} for m in catalogue]
    texture = np.random.default_rng(0).integers(0, 256, (96, 80, 3), dtype=np.uint8)
    views = render_models(records, meshes, 3, [texture], renderer)
    procedural = data.render_split("test", 1, 1, renderer=renderer)
    for key, value in views.__dict__.items():
        reference = getattr(procedural, key)
        assert value.dtype == reference.dtype and value.shape[1:] == reference.shape[1:], key
    assert len(views.images) == 6 and views.category.tolist() == [0, 1] and views.symmetry.tolist() == [2, 2]
    assert ((views.azimuth >= 0) & (views.azimuth < 360)).all() and (
        (views.elevation >= 0) & (views.elevation <= 40)
    ).all()
    assert all(0.01 < (m > 127).mean() < 0.7 for m in views.masks)
    again = render_models(records, meshes, 3, [texture], renderer)
    assert np.array_equal(views.images, again.images) and np.array_equal(views.masks, again.masks)
    from vtl_models.shape3d.train import make_batch

    batch = make_batch(views, np.arange(6), np.random.default_rng(0))
    assert batch["voxels"].shape == (6, 32, 32, 32) and batch["images"].shape == (6, 3, 64, 64)
    assert textured_background(np.random.default_rng(1), texture).shape == (data.RENDER_SIZE, data.RENDER_SIZE, 3)


def test_mesh_cache_round_trips(catalogue, tmp_path):
    model = catalogue[0]
    first = cached_mesh(model, MODELS, tmp_path)
    again = cached_mesh(model, MODELS, tmp_path)  # read back from the .npz
    for key in ("vertices", "faces", "colors", "voxels"):
        assert np.array_equal(getattr(first, key), getattr(again, key)), key
    assert (first.symmetry, first.shell_voxels) == (again.symmetry, again.shell_voxels)
