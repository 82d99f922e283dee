"""What the Smile transfer predictor accepts (torch-free: the tab's widgets read these while the UI is built)."""

DOMAINS = ("photo", "cartoon")  # the input's domain; "auto" reads it from the image
STRENGTH_RANGE = (0.0, 1.0)  # the smile attribute code: off to on
MAX_SAMPLES = 8  # random faces per sampling call at most
