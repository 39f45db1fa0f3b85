"""Running the pipeline over sources: per-source sighting pipeline (camera workers come later)."""
