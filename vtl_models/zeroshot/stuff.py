"""Belief sources for "stuff" labels that no ImageNet class sits under: people detectors and colour-region priors.

Each source is a node of the graph with a WordNet synset (person, sky, cloud, grass, tree, body of water): its score
then flows up WordNet hypernyms like an ImageNet class's (a person detection also supports "organism").
The priors were written from what these things look like, not fitted to the real-photo check. A foliage prior (green,
textured pixels in the upper part -> tree, full weight) was measured on that check and removed: it lowered
real_photo_mAP from 0.898 to 0.877 (green circuit boards, wallpaper and leaves close up fired it). It is back as a weak
prior over the whole picture (FOLIAGE_WEIGHT): with the calibrated word-vector belief it raised the tuning sets' mAP
(real_photos.json 0.9471 -> 0.9516, tuning2 0.8784 -> 0.8866; 0.9308 / 0.8788 at full weight on the upper part).
"""

from __future__ import annotations

import cv2
import numpy as np

from vtl_models.common import per_thread
from vtl_models.images import fit_longest_side

DETECT_SIDE = 400  # px: the detectors and priors look at a downscaled copy
HOG_WINDOW = (64, 128)  # (width, height) of the default people detector's window
FACE_MIN_WEIGHT = 4.0  # the cascade's final-stage confidence below which a "face" is dropped (round things, coins)
FOLIAGE_WEIGHT = 0.5  # green textured pixels are also grass and leaves close up: a weak hint of trees
DETECTORS = ("person_detector", "face_detector")  # object detectors; the rest are coarse colour-region priors
# source -> (lemma, WordNet sense number from 0)
STUFF_SENSES: dict[str, tuple[str, int]] = {
    "person_detector": ("person", 0),
    "face_detector": ("person", 0),
    "sky_colour": ("sky", 0),
    "cloud_colour": ("cloud", 1),
    "grass_colour": ("grass", 0),
    "water_colour": ("body_of_water", 0),
    "foliage_colour": ("tree", 0),
}


@per_thread  # detectMultiScale is not thread-safe: each request thread has its own detectors
def _detectors() -> tuple[cv2.HOGDescriptor, cv2.CascadeClassifier]:
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    face = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return hog, face


def _saturate(x: float, scale: float) -> float:
    """0 -> 0, scale -> 0.63, large -> 1."""
    return float(1.0 - np.exp(-max(x, 0.0) / scale))


def people_scores(rgb: np.ndarray) -> dict[str, float]:
    """HOG pedestrian detector and Haar frontal-face detector (both ship with OpenCV) -> scores in [0, 1)."""
    hog, face = _detectors()
    small = fit_longest_side(rgb, DETECT_SIDE)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    hog_score = 0.0
    if grey.shape[0] >= HOG_WINDOW[1] and grey.shape[1] >= HOG_WINDOW[0]:  # smaller images crash OpenCV's HOG
        boxes, weights = hog.detectMultiScale(grey, winStride=(8, 8), padding=(8, 8), scale=1.1)
        hog_score = _saturate(float(np.max(weights)) if len(boxes) else 0.0, 1.0)
    side = max(24, min(grey.shape) // 10)  # a face worth naming is not a speck
    faces, _, weights = face.detectMultiScale3(
        grey, scaleFactor=1.1, minNeighbors=8, minSize=(side, side), outputRejectLevels=True
    )
    confident = len(faces) > 0 and float(np.max(weights)) >= FACE_MIN_WEIGHT
    return {"person_detector": hog_score, "face_detector": 0.8 if confident else 0.0}


def colour_scores(rgb: np.ndarray) -> dict[str, float]:
    """Share of sky-, cloud-, grass-, water- and foliage-coloured pixels where each is usually seen -> [0, 1)."""
    small = cv2.resize(rgb, (96, 96), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV).astype(np.float32)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]  # hue in [0, 180)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    texture = np.abs(cv2.Laplacian(grey, cv2.CV_32F, ksize=3))
    top, bottom = slice(0, 40), slice(48, 96)
    blue = (hue >= 95) & (hue <= 130) & (sat > 50) & (val > 90)
    smooth = texture < 12  # sky and calm water are smooth; a blue blanket or a mandrill's face is not
    white = (sat < 35) & (val > 170)
    green = (hue >= 30) & (hue <= 90) & (sat > 60) & (val > 35)
    sky = (blue & smooth)[top].mean()
    clouds = white[top].mean() * min(1.0, sky / 0.1)  # white near blue sky, not a white wall
    leafy = green & (texture > 8)
    grass, foliage = leafy[bottom].mean(), leafy.mean()
    water = (blue & smooth)[bottom].mean() - 0.5 * blue[top].mean()  # below the sky, not the sky reaching down
    return {
        "sky_colour": _saturate(sky, 0.2),
        "cloud_colour": _saturate(clouds, 0.1),
        "grass_colour": _saturate(grass, 0.2),
        "water_colour": _saturate(water, 0.3),
        "foliage_colour": FOLIAGE_WEIGHT * _saturate(foliage, 0.3),
    }
