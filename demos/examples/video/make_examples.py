"""Write the Video completion tab's examples: `PYTHONPATH=. python demos/examples/video/make_examples.py`.

Shape Motion clips from held-out test seeds (never trained on, outside the eval's seeds) drawn at 64x64, two single
frames of one of them, 16 distinct frames of tree.avi (Debian opencv-doc), centre square at 96x96, and
samples_grid.png (the generator's training clips) for the README; with --open-futures, only samples_grid_open.png:
open clips (vtl_models.video.futures), two ground-truth futures each, anchors under an orange bar.
"""

from pathlib import Path

import cv2
import imageio.v2 as imageio
import numpy as np

from vtl_models.video.data import SPLIT_OFFSET, TASKS, read_video, shape_motion
from vtl_models.video.futures import open_batch

HERE = Path(__file__).resolve().parent
SEEDS = (5000, 5003)  # test split seeds that the eval (0..199, 10000..10199) does not use


def main() -> None:
    for i, seed in enumerate(SEEDS):
        clip = shape_motion(SPLIT_OFFSET["test"] + seed, 64)
        imageio.mimsave(HERE / f"shapes_{i + 1}.gif", list(clip), duration=250, loop=0)
    clip = shape_motion(SPLIT_OFFSET["test"] + SEEDS[0], 64)
    imageio.imwrite(HERE / "frame_1.png", clip[0])
    imageio.imwrite(HERE / "frame_8.png", clip[7])
    video = read_video("tree.avi", longest=320)
    height, width = video.shape[1:3]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    start = 30
    frames = video[start : start + 16, top : top + side, left : left + side]
    frames = [cv2.resize(f, (96, 96), interpolation=cv2.INTER_AREA) for f in frames]
    imageio.mimsave(HERE / "tree.gif", frames, duration=250, loop=0)
    np.testing.assert_equal(len(frames), 16)
    # the README's picture of the generator: 6 training-split clips, 16 frames each, at the model's 32x32 (2x)
    rows = [np.concatenate(list(shape_motion(seed, 32)), axis=1) for seed in range(6)]
    grid = np.concatenate(rows, axis=0)
    imageio.imwrite(HERE / "samples_grid.png", grid.repeat(2, axis=0).repeat(2, axis=1))


def open_futures_grid() -> None:
    """Two training-split open clips per setting, each as its two futures (rows), 32x32 at 2x; anchors marked."""
    rows = []
    for setting, (steps, length) in TASKS.items():
        for clip in open_batch("train", setting, 0, 2):
            for future in clip:
                frames = np.concatenate([future, np.full((length, 3, 32, 3), 30, np.uint8)], axis=1)
                frames[list(steps), 33:, 2:-2] = (255, 140, 0)
                rows.append(np.concatenate(list(frames) + [np.zeros((35, 32 * (16 - length), 3), np.uint8)], axis=1))
    grid = np.concatenate(rows, axis=0)
    imageio.imwrite(HERE / "samples_grid_open.png", grid.repeat(2, axis=0).repeat(2, axis=1))


if __name__ == "__main__":
    import sys

    open_futures_grid() if "--open-futures" in sys.argv else main()
