"""Visual Transfer Lab models: data generators, networks, training, evaluation and predictors (no gradio here)."""

TASKS: tuple[str, ...] = ("smile", "multilabel", "zeroshot", "reid", "shape3d", "video")
