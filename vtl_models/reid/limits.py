"""What the Person search predictor accepts (torch-free: the tab's widgets read these while the UI is built)."""

MAX_TOP_K = 50  # matches returned at most
MAX_PEOPLE = 12  # people detected in a frame at most (most confident first)
