"""Model files and their provenance; see `registry`."""

from citywatch.models.registry import MODELS, ModelSpec, model_path, model_spec

__all__ = ["MODELS", "ModelSpec", "model_path", "model_spec"]
