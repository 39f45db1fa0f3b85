"""Model files and their provenance; see `registry`."""

from citywatch.models.registry import (
    MODELS,
    PROFILE_MIN_SIMILARITY,
    ModelSpec,
    model_path,
    model_spec,
)

__all__ = ["MODELS", "PROFILE_MIN_SIMILARITY", "ModelSpec", "model_path", "model_spec"]
