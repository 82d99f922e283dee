"""What the Video completion predictor accepts (torch-free: the tab's widgets read these while the UI is built)."""

MODES = ("interpolation", "prediction", "custom")  # how a request places its anchors (predictor.anchor_plan)
MAX_LENGTH = 16  # frames per sequence: the model was trained on 8-16
MAX_SAMPLES = 4
MAX_FRAMES = 16  # anchor images per request
MAX_CLIP_FRAMES = 600  # frames read from an uploaded clip at most (~20 s at 30 fps)
