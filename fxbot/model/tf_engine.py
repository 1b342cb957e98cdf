"""The ``tensorflow`` engine: each member in its own ``tf.Graph`` and ``tf.compat.v1.Session``.

Importing this module imports TensorFlow (~630 MB RSS): only used when ``model.engine`` is
``tensorflow``, and in the daemon only ever inside a short-lived child process.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

from fxbot.errors import ModelError

tf.get_logger().setLevel("ERROR")  # the v1 loader's deprecation notice is expected here


class TensorFlowMember:
    """A member's SavedModel loaded into a private graph and session."""

    def __init__(self, path: Path) -> None:
        if not Path(path).is_dir():
            raise ModelError(f"SavedModel {path} is missing; retrain with `fxbot train` or use model.engine: litert")
        self.path = Path(path)
        self._graph = tf.Graph()
        self._session = tf.compat.v1.Session(graph=self._graph)
        try:
            with self._graph.as_default():
                meta = tf.compat.v1.saved_model.loader.load(self._session, ["serve"], str(path))
        except (OSError, ValueError, RuntimeError, tf.errors.OpError) as exc:
            self._session.close()
            raise ModelError(
                f"SavedModel {path} cannot be loaded ({type(exc).__name__}); retrain with `fxbot train`"
            ) from None
        signature = meta.signature_def["serving_default"]
        (input_info,) = signature.inputs.values()
        (output_info,) = signature.outputs.values()
        self._input = self._graph.get_tensor_by_name(input_info.name)
        self._output = self._graph.get_tensor_by_name(output_info.name)

    def predict(self, window: np.ndarray) -> float:
        """P(up) for one (1, window, features) input."""
        try:
            result = self._session.run(self._output, feed_dict={self._input: window.astype(np.float32)})
        except (ValueError, tf.errors.OpError) as exc:
            # A truncated variables file can load and fail only here.
            raise ModelError(
                f"SavedModel {self.path} failed to run ({type(exc).__name__}); retrain with `fxbot train`"
            ) from None
        return float(np.asarray(result).reshape(-1)[0])

    def close(self) -> None:
        """Close the session and drop the graph."""
        self._session.close()
