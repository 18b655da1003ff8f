"""Applications built on the layer: each uses only its public API."""
