"""Inference for the Video completion tab: anchor frames at chosen steps -> several completed sequences.

Frames (any size, any image a user sends) -> vtl_models.images.to_rgb -> centre square -> the model's size ->
SR-cGAN, once per sample with its own stochastic code -> uint8 sequences; where the VAE reconstructs the anchors
worse than the card's gate allows (vtl_models.video.gate), every sample is the plain linear blend instead.
Also: reading a short clip (GIF, MP4...) into frames, and the display helpers (anchors marked with a coloured
border, samples side by side, upscaled).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from vtl_models.common import InvalidInput
from vtl_models.domain import DomainScorer, Verdict
from vtl_models.hub import ModelCard
from vtl_models.hub import load_model as load_from_card
from vtl_models.images import center_square, to_rgb
from vtl_models.video import metrics
from vtl_models.video.limits import MAX_CLIP_FRAMES, MAX_FRAMES, MAX_LENGTH, MAX_SAMPLES, MODES
from vtl_models.video.model import SRcGAN, VideoConfig

ANCHOR_COLOUR = (255, 140, 0)  # the border of anchor frames in the display
SPREAD_FULL = 0.25  # a spread (mean |sample - mean of samples|, [0, 1] units) shown at full brightness in the map


def checked(anchors: np.ndarray) -> np.ndarray:
    """The anchors the out-of-domain check scores: the first and the last in time (each one scored costs a pass of
    the ImageNet trunk)."""
    return anchors[np.unique([0, len(anchors) - 1])]


@dataclass
class VideoCompletion:
    """Completed sequences and where their anchors were."""

    sequences: np.ndarray  # uint8 (S, T, H, W, 3) at the model's size; anchor steps hold the model's own output
    anchors: list[int]  # 0-based anchor steps
    domain: Verdict | None = None  # how far the anchors lie from the training clips (their mean distance)
    copy_share: float | None = None  # the anchors' blend's mean weight in the free pixels (the rest is decoded)
    fidelity: float | None = None  # the gate's signal: PSNR (dB) of the VAE's reconstruction of the anchors
    trusted: bool = True  # False: the gate served the plain linear blend of the anchors (vtl_models.video.gate)

    @property
    def diversity(self) -> float:
        """Mean L1 ([0, 1] units) between the samples over the free steps; 0 for one sample."""
        free = [t for t in range(self.sequences.shape[1]) if t not in self.anchors]
        return metrics.diversity(self.sequences[:, free])


def spread_map(sequences: np.ndarray) -> np.ndarray:
    """Where the samples (S, T, H, W, 3) disagree: per pixel and step, the mean over samples and channels of
    |sample - mean of the samples|, coloured (inferno: black where they agree, full at SPREAD_FULL); uint8 (T, H, W, 3).

    A fixed scale, not one per clip: noise between near-identical samples stays dark."""
    s = sequences.astype(np.float32) / 255.0
    level = np.clip(np.abs(s - s.mean(0)).mean((0, -1)) / SPREAD_FULL, 0.0, 1.0)  # (T, H, W)
    grey = np.round(level * 255).astype(np.uint8)
    coloured = cv2.applyColorMap(grey.reshape(-1, grey.shape[-1]), cv2.COLORMAP_INFERNO)
    return cv2.cvtColor(coloured, cv2.COLOR_BGR2RGB).reshape(*grey.shape, 3)


def prepare_frame(image, size: int) -> np.ndarray:
    """Any user image -> uint8 (size, size, 3): the centred square, resized (area filter)."""
    square = center_square(to_rgb(image))
    interpolation = cv2.INTER_AREA if square.shape[0] > size else cv2.INTER_CUBIC
    return cv2.resize(square, (size, size), interpolation=interpolation)


def read_clip(path, max_frames: int = MAX_CLIP_FRAMES) -> list[np.ndarray]:
    """All frames (up to `max_frames`) of an animated GIF/WebP/PNG or a video file (MP4, AVI, WebM...) as uint8 RGB.

    Raises:
        InvalidInput: the file is neither a readable image nor a video.
    """
    import imageio.v2 as imageio

    frames: list[np.ndarray] = []
    try:
        with imageio.get_reader(str(path)) as reader:
            for frame in reader:
                frames.append(to_rgb(np.asarray(frame)))
                if len(frames) >= max_frames:
                    break
    except InvalidInput:
        raise
    except Exception as err:  # imageio raises many types for files it cannot decode
        raise InvalidInput(
            f"This file could not be read as an image or a video ({type(err).__name__}). Give a GIF, MP4, PNG or JPEG."
        ) from err
    if not frames:
        raise InvalidInput("This file could not be read as an image or a video: it holds no frames.")
    return frames


def parse_steps(text: str) -> list[int]:
    """'1, 4, 8' (1-based, as the tab shows them) -> [0, 3, 7]."""
    try:
        steps = [int(part) - 1 for part in str(text).replace(";", ",").replace(" ", ",").split(",") if part]
    except ValueError as err:
        raise InvalidInput(f"anchor steps must be whole numbers separated by commas, like '1, 8': {text!r}") from err
    if not steps:
        raise InvalidInput("give the anchor steps as numbers separated by commas, like '1, 8'")
    return steps


def anchor_plan(mode: str, count: int | None, steps_text: str, length: int) -> tuple[list[int], int]:
    """0-based anchor steps and sequence length for a mode; `count`: how many images were given (None: a clip).

    interpolation: steps 1 and 8 of 8; prediction: the first frames (a clip's first 6) of 16; custom: `steps_text`
    (1-based) of `length`."""
    if mode == "interpolation":
        if count is not None and count != 2:
            raise InvalidInput(f"interpolation takes 2 frames (steps 1 and 8); {count} were given: use custom")
        return [0, 7], 8
    if mode == "prediction":
        if count is None:
            return list(range(6)), 16
        if count > 15:
            raise InvalidInput("prediction fills 16 frames: give at most 15 anchor frames")
        return list(range(count)), 16
    if mode != "custom":
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    steps = parse_steps(steps_text)
    if count is not None and len(steps) != count:
        raise InvalidInput(f"{count} frames were given but {len(steps)} anchor steps: give one step per frame")
    return steps, int(length)


@dataclass
class ClipCompletion:
    """A completion asked for as the tab asks (a clip or frames, and a mode), and what the tab shows of it."""

    completion: VideoCompletion
    length: int
    truth: np.ndarray | None = None  # uint8 (T, S, S, 3): the clip's own frames at the model's size, if it has T
    note: str = ""  # what of the request was not used

    @property
    def columns(self) -> list[str]:
        """What each column of `movie` shows."""
        samples = [f"sample {i + 1}" for i in range(len(self.completion.sequences))]
        spread = ["spread"] if len(samples) > 1 else []
        return (["ground truth"] if self.truth is not None else []) + samples + spread

    def movie(self, scale: int) -> np.ndarray:
        """uint8 (T, H', W', 3): [truth |] samples side by side [| their spread map], upscaled by `scale`, anchors
        marked, a timeline."""
        anchors, sequences = self.completion.anchors, self.completion.sequences
        columns = [mark_anchors(seq, anchors, scale) for seq in sequences]
        if self.truth is not None:
            columns.insert(0, mark_anchors(self.truth, anchors, scale))
        if len(sequences) > 1:
            columns.append(mark_anchors(spread_map(sequences), anchors, scale))
        return with_timeline(side_by_side(columns), anchors)


def mark_anchors(sequence: np.ndarray, anchors, scale: int = 4, border: int = 2) -> np.ndarray:
    """Upscale (nearest) a sequence (T, H, W, 3) by `scale` for viewing and draw a coloured border on anchor steps."""
    big = sequence.repeat(scale, axis=1).repeat(scale, axis=2)
    for t in anchors:
        big[t, :border], big[t, -border:] = ANCHOR_COLOUR, ANCHOR_COLOUR
        big[t, :, :border], big[t, :, -border:] = ANCHOR_COLOUR, ANCHOR_COLOUR
    return big


def with_timeline(sequence: np.ndarray, anchors, height: int = 12) -> np.ndarray:
    """Add a strip under each frame: a tick per step (anchors in the anchor colour) and the current step lit.

    Every frame then differs from the next, so GIF writers cannot merge repeated frames (the frame count holds)."""
    t, _, w = sequence.shape[:3]
    strip = np.full((t, height, w, 3), 40, np.uint8)
    edges = np.linspace(0, w, t + 1).round().astype(int)
    for step in range(t):
        colour = ANCHOR_COLOUR if step in anchors else (110, 110, 110)
        strip[:, 3:-3, edges[step] + 1 : edges[step + 1] - 1] = colour
        strip[step, 1:-1, edges[step] : edges[step + 1]] = (255, 255, 255)
        strip[step, 3:-3, edges[step] + 1 : edges[step + 1] - 1] = colour
    return np.concatenate([sequence, strip], axis=1)


def side_by_side(sequences: list[np.ndarray], gap: int = 8) -> np.ndarray:
    """Sequences of equal shape (T, H, W, 3) -> one sequence with them in a row, separated by white gaps."""
    t, h = sequences[0].shape[:2]
    spacer = np.full((t, h, gap, 3), 255, np.uint8)
    parts = [p for seq in sequences for p in (seq, spacer)][:-1]
    return np.concatenate(parts, axis=2)


class VideoPredictor:
    """SR-cGAN with its committed weights: anchors at chosen steps -> `samples` completed sequences."""

    def __init__(self, model: SRcGAN, card: ModelCard):
        self.model, self.card = model, card
        self.device = next(model.parameters()).device
        self.size = model.cfg.size
        self.input = card.raw["input"]  # size and normalisation the model was trained with
        self.domain = DomainScorer("video", self.device)
        self.gate_db = metrics.gate_db(card)  # None: the model is always served

    @torch.inference_mode()
    def complete(self, frames, anchor_steps, length: int, samples: int = 2, seed: int = 0) -> VideoCompletion:
        """Complete a sequence of `length` frames from `frames` placed at `anchor_steps` (0-based, same order).

        Args:
            frames: images (paths, PIL images or arrays of any size and mode), one per anchor step.
            anchor_steps: where each frame sits in the sequence, 0-based.
            length: frames in the completed sequence (2-16).
            samples: how many different completions (1-4), each from its own stochastic code.
            seed: the codes' seed: the same seed gives the same samples.
        """
        frames, steps = list(frames or []), [int(s) for s in anchor_steps]
        if not 2 <= int(length) <= MAX_LENGTH:
            raise InvalidInput(f"the sequence length must be between 2 and {MAX_LENGTH} frames; got {length}")
        if not frames:
            raise InvalidInput("give at least one anchor frame")
        if len(frames) != len(steps):
            raise InvalidInput(f"{len(frames)} frames were given for {len(steps)} anchor steps: give one per step")
        if len(set(steps)) != len(steps):
            raise InvalidInput(f"each anchor step may be used once; got {[s + 1 for s in steps]}")
        if min(steps) < 0 or max(steps) >= length:
            raise InvalidInput(f"anchor steps {[s + 1 for s in steps]} must lie between 1 and {length}")
        if len(steps) >= length:
            raise InvalidInput("every step is an anchor: leave at least one step for the model to fill")
        if not 1 <= int(samples) <= MAX_SAMPLES:
            raise InvalidInput(f"the number of samples must be between 1 and {MAX_SAMPLES}; got {samples}")
        anchors = np.stack([prepare_frame(f, self.size) for f in frames])
        video = np.zeros((1, int(length), self.size, self.size, 3), np.uint8)
        video[0, steps] = anchors
        seed = int(seed) % 2**31  # the stochastic codes' seed
        parts = metrics.complete_parts(
            self.model, video, steps, int(samples), seed, card_input=self.input, gate_db=self.gate_db
        )
        order = np.argsort(steps)
        copied = metrics.copy_share(parts["copy_mask"], steps)
        domain = self.domain.mean(checked(anchors[order]))
        fidelity, trusted = float(parts["fidelity"][0]), bool(parts["trusted"][0])
        return VideoCompletion(parts["video"][0], sorted(steps), domain, copied, fidelity, trusted)

    def predict(
        self,
        clip,
        more_frames=None,
        mode: str = "interpolation",
        steps_text: str = "",
        length: int = MAX_LENGTH,
        frame_step: int = 1,
        samples: int = 2,
        seed: int = 0,
    ) -> ClipCompletion:
        """Complete a request as the tab makes it: a clip (a path; its every `frame_step`-th frame is the anchors'
        source and the ground truth) or single frames (`clip` a first image, `more_frames` the rest), placed by
        `mode` (see `anchor_plan`); `samples` completions from `seed` (see `complete`)."""
        if clip is None and not more_frames:
            raise InvalidInput("give a short clip (GIF or MP4), or 2 or more frames, or pick an example")
        more = [f for f in (more_frames or []) if f is not None]
        if len(more) + 1 > MAX_FRAMES:
            raise InvalidInput(f"give at most {MAX_FRAMES} frames")
        first = read_clip(clip) if clip is not None else []
        if len(first) <= 1:
            images = first + more
            steps, length = anchor_plan(mode, len(images), steps_text, length)
            return ClipCompletion(self.complete(images, steps, length, samples, seed), length)
        step = int(frame_step)
        frames = first[::step]
        steps, length = anchor_plan(mode, None, steps_text, length)
        if max(steps) >= len(frames):
            raise InvalidInput(
                f"the clip gives {len(frames)} frames at a frame step of {step}, but the anchors reach step "
                f"{max(steps) + 1}: lower the frame step or give a longer clip"
            )
        completion = self.complete([frames[s] for s in steps], steps, length, samples, seed)
        truth = np.stack([prepare_frame(f, self.size) for f in frames[:length]]) if len(frames) >= length else None
        note = " (frames given beside the clip were not used)" if more else ""
        return ClipCompletion(completion, length, truth, note)


def build(card: ModelCard) -> SRcGAN:
    """The module a video card describes."""
    return SRcGAN(VideoConfig(**card.config))


def load_predictor(device: torch.device, name: str = "default") -> VideoPredictor:
    """Build the predictor from weights/video/<name> (sha256-checked) on `device`."""
    return VideoPredictor(*load_from_card("video", name, build, device))
