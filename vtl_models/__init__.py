"""Visual Transfer Lab models: data generators, networks, training, evaluation and predictors (no gradio here)."""

from vtl_models.registry import TASKS

__all__ = ["TASKS"]
