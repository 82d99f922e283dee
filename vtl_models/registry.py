"""Every tab declared once: its task id, title, endpoint, example call, paper setting and the bars its issue set.

app.py, the report, the tests and the benchmark read this list; a tab's "trained on" text comes from its card.
A new tab is one entry here, a `demos/<task>.py` with `create_demo()` and a `vtl_models/<task>/predictor.py` with
`load_predictor(device, name="default")`; app.py shows it in full once `weights/<task>/default.json` exists, else a
placeholder.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "demos" / "examples"
OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt}
DEFAULT_DATA = "procedural"  # the world a report was measured in when it does not say (reports before issue 37)


def served_data(task: str) -> str:
    """The world the served default weights of `task` were trained on (its card's `training.data`)."""
    from vtl_models.hub import has_card, read_card

    return (read_card(task).raw.get("training", {}).get("data") if has_card(task) else None) or DEFAULT_DATA


def report_data(report: dict) -> str:
    """The world of the training data whose held-out test set `report` was measured on: its `data` (shape3d's eval
    writes it), else the evaluated card's `training.data`, else DEFAULT_DATA."""
    if report.get("data"):
        return report["data"]
    from vtl_models.hub import has_card, read_card  # a report of weights that have a card in weights/

    task, name = report.get("task"), report.get("model")
    if task and name and has_card(task, name):
        return read_card(task, name).raw.get("training", {}).get("data") or DEFAULT_DATA
    return DEFAULT_DATA


@dataclass(frozen=True)
class Bar:
    """metric OP reference, where the reference is a fixed value, a baseline's same metric or another metric.

    `metric` names a key of the report's `metrics`, or `block.key` for a figure of another block of the report
    (`photo_mode.heldout_mAP`), compared with a fixed value only.
    """

    metric: str
    op: str
    value: float | None = None
    baseline: str | None = None
    other: str | None = None
    margin: float = 0.0
    factor: float = 1.0  # the reference is factor x the figure (+ margin): "diversity >= 0.5 x true_future_spread"
    baseline_key: str | None = None  # the baseline's figure to compare with, where its key differs from `metric`
    data: str | None = None  # the training world it holds for (`report_data`: e.g. "furniture"); None: every world

    def verdict(self, report: dict) -> str:
        """The bar in `report`: met, missed or not measured."""
        measured, reference = self.measured(report), self.reference(report)
        if measured is None or reference is None:
            return "not measured"
        return "met" if OPS[self.op](measured, reference) else "missed"

    def measured(self, report: dict) -> float | None:
        """The metric's figure in `report` (None if the report lacks it)."""
        block, _, key = self.metric.rpartition(".")
        return (report.get(block or "metrics") or {}).get(key)

    def reference(self, report: dict) -> float | None:
        """The figure the metric is compared with in `report` (None if the report lacks it)."""
        if self.value is not None:
            return self.value
        source = report["metrics"] if self.other else report.get("baselines", {}).get(self.baseline, {})
        found = source.get(self.other or self.baseline_key or self.metric)
        return None if found is None else self.factor * found + self.margin

    def describe(self) -> str:
        """The bar as a reader says it, e.g. `mAP >= cnn_bce + 0.05`."""
        ref = f"{self.value:g}" if self.value is not None else (self.other or f"{self.baseline}")
        ref += f".{self.baseline_key}" if self.baseline_key and not self.other else ""
        ref = f"{self.factor:g} x {ref}" if self.factor != 1.0 else ref
        return f"{self.metric} {self.op} {ref}" + (f" + {self.margin:g}" if self.margin else "")


@dataclass(frozen=True)
class ClaimBar:
    """The paper's claim `claim` (a key of the report's `claims`) won by the rule of vtl_models.claims: its 95%
    interval wholly above zero with at least MIN_SEEDS training seeds a side. A tie or a loss misses it; fewer seeds
    ("undecided") or no entry leave it not measured (the seed spread is unknown)."""

    claim: str
    data: str | None = None  # as Bar.data
    op: str = "is"  # how the bars table writes the needed verdict: "is win"

    def measured(self, report: dict) -> str | None:
        """The claim's verdict in `report` (None if the report lacks it)."""
        entry = (report.get("claims") or {}).get(self.claim)
        return entry.get("verdict") if isinstance(entry, dict) else None

    def reference(self, report: dict) -> str:
        return "win"

    def verdict(self, report: dict) -> str:
        found = self.measured(report)
        if found is None or found.startswith("undecided"):
            return "not measured"
        return "met" if found == "win" else "missed"

    def describe(self) -> str:
        return f"claim {self.claim}"


@dataclass(frozen=True)
class Tab:
    """One tab of the app.

    Attributes:
        task: the id used by weights/<task>/, vtl_models/<task>/, demos/<task>.py.
        title: the tab's label.
        api_name: the main event's endpoint name (gradio_client: `/<api_name>`).
        summary: one sentence: what a visitor gives and gets (also the placeholder's text).
        paper_setting: the paper's data and scale, beside which the small model here is shown.
        example: the arguments of one call of the main endpoint (tests and benchmarks time it); a str naming a file
            under demos/examples/ is sent as a file.
        world_examples: (world, example) pairs: the example once the served weights were trained on that world
            (`served_data`), as the tab then shows that world's examples: the benchmarks time what visitors send.
        bars: what the task's issue asked the default weights to reach (a bar with `data` only for weights trained
            on that world: `bars_for`).
        p50_target: the design's latency target of one API call: ("x_lean_noop", k) is k times the no-op endpoint's
            p50 through the lean client (the server's share) in the same run, ("ms", t) is t milliseconds through
            gradio_client.
        browser_p50_ms: the design's target of click to result painted in a browser, p50.
    """

    task: str
    title: str
    api_name: str
    summary: str
    paper_setting: str
    example: tuple = ()
    world_examples: tuple[tuple[str, tuple], ...] = ()
    bars: tuple[Bar | ClaimBar, ...] = ()
    p50_target: tuple[str, float] = ("x_lean_noop", 1.5)
    browser_p50_ms: float = 400.0

    def bars_for(self, report: dict) -> list[Bar | ClaimBar]:
        """The bars that hold for `report`: those of every world and those of the world it was measured in."""
        data = report_data(report)
        return [bar for bar in self.bars if bar.data in (None, data)]

    def served_example(self) -> tuple:
        """`example`, or that of `world_examples` for the world the served weights were trained on."""
        return (
            dict(self.world_examples).get(served_data(self.task), self.example) if self.world_examples else self.example
        )

    def example_args(self) -> list:
        """`served_example()` with file names made absolute paths (Path objects: the caller wraps them for upload)."""
        return [EXAMPLES / a if isinstance(a, str) and (EXAMPLES / a).is_file() else a for a in self.served_example()]


TABS: tuple[Tab, ...] = (
    Tab(
        "smile",
        "Smile transfer",
        "smile_transfer",
        "Give a face (photo or cartoon); get it in the other domain, with the smile added or removed.",
        "CelebA photos (labeled attributes) -> cartoon faces (unlabeled), 64x64, attributes such as smile, glasses "
        "and hair colour; generator, discriminator and encoders trained jointly on a GPU.",
        example=("smile/photo_0.png", 1.0, "auto"),
        bars=(
            Bar("realism_1nn_photo", "<=", 0.85),
            Bar("realism_1nn_cartoon", "<=", 0.85),
            Bar("attr_control_acc_photo", ">=", 0.85),
            Bar("attr_control_acc_cartoon", ">=", 0.85),
            Bar("target_attr_acc", ">=", 0.75),
            Bar("target_attr_acc", ">=", baseline="source_only", margin=0.10),
            Bar("factor_preservation", ">=", 0.75),
        ),
    ),
    Tab(
        "multilabel",
        "Labels + attention",
        "multilabel",
        "Give an image; get every label present, in the order the model emitted them, with one attention map each.",
        "Chen et al. (AAAI 2018): ResNet-152 features, LSTM with visual attention, order-free training and beam "
        "search on NUS-WIDE (81 labels) and MS-COCO (80 labels). Here: the frozen ImageNet EfficientNet-Lite0, "
        "18 scene labels.",
        example=("multilabel/scene_lake.png", 1, 0.0),
        bars=(
            Bar("mAP", ">=", 0.85),
            *(Bar(m, ">=", baseline=b) for m in ("CF1", "OF1") for b in ("cnn_bce", "cnn_rnn_fixed_order")),
            Bar("pointing_acc", ">=", 0.85),
            Bar("pointing_acc", ">=", baseline="cnn_bce"),
        ),
    ),
    Tab(
        "zeroshot",
        "Zero-shot labels",
        "zeroshot",
        "Give an image and any label names, even ones never trained; get scores and the knowledge-graph edges "
        "behind them.",
        "Lee et al. (CVPR 2018): VGG-16 features, GloVe label vectors and a gated graph network over WordNet "
        "relations on NUS-WIDE (925 seen / 81 unseen labels) and MS-COCO.",
        example=("zeroshot/squirrel.jpg", "animal, rodent, tree, sky, person, vehicle", "auto"),
        bars=(
            Bar("ZSL_mAP", ">=", baseline="embedding_only", margin=0.05),
            Bar("GZSL_mAP", ">=", baseline="embedding_only"),
            Bar("ML_mAP", ">=", 0.80),
            # photo mode has no learned weights; its bar is on photos it was never tuned on (its tuning check's
            # figure, photo_mode.tuning_check_mAP, has none: tuned on those photos, it could not fail one)
            Bar("photo_mode.heldout_mAP", ">=", 0.85),
        ),
        p50_target=("x_lean_noop", 2.5),  # its photo path: five views through the classifier, two detectors
    ),
    Tab(
        "reid",
        "Person search",
        "person_search",
        "Pick a person seen by one camera; get the best matches from the other cameras.",
        "Li et al. (CVPRW 2018): ResNet-50 trunk, source Market-1501 / DukeMTMC-reID (labeled) adapted to the "
        "other (unlabeled), 256x128 crops.",
        example=("reid/indoor_id806_camera1.png", 1, 10, 806, 1),
        bars=(
            Bar("rank1", ">=", baseline="source_only", margin=0.05),
            Bar("mAP", ">=", baseline="source_only", margin=0.05),
        ),
    ),
    Tab(
        "shape3d",
        "Image to 3D",
        "shape3d",
        "Give one image of an object; get a 3D mesh in a viewer, its pose and silhouette, and mesh downloads.",
        "ShapeNet (13 categories, 24 rendered views per object at 137 px), 32^3 voxel grids; semi-supervised with "
        "3D labels on part of the objects and 2D masks on the rest, pose predicted from the image.",
        example=("shape3d/01_chair.png", True, 0.5, 0.5),
        # a furniture test model's render (demos/examples/shape3d/furniture, the tab's examples for such weights):
        # the same call, the same 256-px plain-background picture, so one architecture is timed alike in both worlds
        world_examples=(("furniture", ("shape3d/furniture/01_chair.png", True, 0.5, 0.5)),),
        bars=(
            Bar("mean_iou", ">=", baseline="nearest_neighbour", margin=0.05),
            Bar("semi_iou", ">", other="sup10_iou", data="procedural"),
            Bar("pose_acc", ">=", 0.80),
            # issue 37, on the furniture test models (evaluate_furniture): the few-label claim must be won over
            # seeds; self_consistency_vs_none is reported in the claims table, with no bar
            Bar("ood_auroc", ">=", 0.95, data="furniture"),
            ClaimBar("semi_vs_sup_few", data="furniture"),
        ),
        p50_target=("ms", 400.0),
    ),
    Tab(
        "video",
        "Video completion",
        "video_completion",
        "Give a few anchor frames; get the whole sequence as a GIF, several samples.",
        "'Completing videos from a deep glimpse': Shape Motion, KTH and MUG at 64x64; interpolation from frames 1 "
        "and 8, prediction of 16 frames from 1-6; a VAE, a recurrent generator and frame + video discriminators.",
        example=("video/shapes_2.gif", None, "prediction", "", 16, 1, 2, 0),
        bars=(
            # issue 38: the samples differ like true futures, the decoder does the work, never below a blend on real
            # clips, and bars that can fail (the anchors as decoded, not as copied)
            Bar("interp_psnr_best5", ">=", baseline="dis_flow", margin=0.5),
            Bar("pred_psnr_best5", ">=", baseline="repeat_last", margin=1.0),
            Bar("diversity", ">=", other="true_future_spread", factor=0.5),
            Bar("open_best5_gain", ">=", 0.5),
            Bar("decoded_interp_psnr", ">=", baseline="dis_flow", baseline_key="interp_psnr_best5"),
            Bar("anchor_psnr_decoded", ">=", 30.0),
            Bar("real_interp_psnr", ">=", baseline="linear_blend"),
            Bar("real_interp_psnr_vtest", ">=", baseline="linear_blend"),
            Bar("ood_auroc", ">=", 0.95),
        ),
        p50_target=("ms", 600.0),
        browser_p50_ms=800.0,
    ),
)
TASKS: tuple[str, ...] = tuple(tab.task for tab in TABS)


def tab(task: str) -> Tab:
    """The tab of `task`; KeyError listing the valid ids otherwise."""
    for entry in TABS:
        if entry.task == task:
            return entry
    raise KeyError(f"unknown task {task!r}; valid tasks: {', '.join(TASKS)}")
