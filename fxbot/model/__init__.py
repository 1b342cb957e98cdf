"""Models: artifacts (manifest + member files), training (TensorFlow), inference engines."""
