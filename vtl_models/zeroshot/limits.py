"""What the Zero-shot labels predictor accepts (torch-free: the tab's widgets read these while the UI is built)."""

MODES = ("auto", "scene", "photo")  # auto: scene or photo by the image's scene likeness
MAX_LABELS = 50  # label names per request at most
MAX_LABEL_CHARS = 40  # characters per label name at most
DEFAULT_LABELS = "animal, rodent, tree, sky, person, vehicle, fruit, building, water"  # scored when none are given
