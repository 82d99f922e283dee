"""What the Labels + attention predictor accepts (torch-free: the tab's widgets read these while the UI is built)."""

MAX_BEAM = 8  # beam width at most
