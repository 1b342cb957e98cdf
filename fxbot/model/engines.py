"""Inference engines: one isolated runtime per ensemble member.

- ``litert`` (default): each member's ``.tflite`` in its own LiteRT interpreter. Imports no
  TensorFlow: ~40 MB, milliseconds, flat memory over repeated runs (DESIGN.md).
- ``tensorflow``: each member's SavedModel in its own ``tf.Graph`` with its own
  ``tf.compat.v1.Session`` (the product's original specification); see ``tf_engine``.

Both take a (1, window, features) float32 array and return P(next close higher) as a float.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from fxbot.errors import ConfigError, ModelError
from fxbot.extras import install_hint
from fxbot.model.artifacts import Manifest

ENGINES = ("litert", "tensorflow")


class Member(Protocol):
    """One loaded ensemble member."""

    def predict(self, window: np.ndarray) -> float:
        """P(up) for a single (1, window, features) input."""
        ...

    def close(self) -> None:
        """Release the member's runtime."""
        ...


class LiteRTMember:
    """A ``.tflite`` member in its own LiteRT interpreter."""

    def __init__(self, path: Path) -> None:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        if not Path(path).is_file():
            raise ModelError(f"model file {path} is missing; restore the models folder or retrain with `fxbot train`")
        try:
            # Plain built-in kernels: XNNPACK buys nothing for a 20x8 LSTM and announces itself on stderr.
            self._interpreter = Interpreter(
                model_path=str(path),
                num_threads=1,
                experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
            )
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"model file {path} is not a valid .tflite model ({exc}); retrain with `fxbot train`"
            ) from None
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self.path = Path(path)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The one input shape the model takes: (1, window, features)."""
        return tuple(int(n) for n in self._input["shape"])

    def predict(self, window: np.ndarray) -> float:
        """P(up) for one window."""
        expected = tuple(self._input["shape"])
        if window.shape != expected:
            raise ModelError(f"{self.path}: input shape {window.shape} does not match the model's {expected}")
        try:
            self._interpreter.set_tensor(self._input["index"], window.astype(np.float32))
            self._interpreter.invoke()
            return float(self._interpreter.get_tensor(self._output["index"]).reshape(-1)[0])
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{self.path}: the model failed to run ({exc}); retrain with `fxbot train`") from None

    def close(self) -> None:
        """Drop the interpreter."""
        self._interpreter = None


def load_members(folder: Path, manifest: Manifest, engine: str) -> list[Member]:
    """Load every member of ``manifest`` from ``folder`` with ``engine``."""
    if engine == "litert":
        return [LiteRTMember(folder / m.tflite) for m in manifest.members]
    if engine == "tensorflow":
        try:
            from fxbot.model.tf_engine import TensorFlowMember
        except ImportError as exc:
            raise ConfigError(
                f"model.engine: tensorflow needs TensorFlow ({exc.name} is missing); "
                f"install it with {install_hint('train')} or use model.engine: litert"
            ) from None

        return [TensorFlowMember(folder / m.savedmodel) for m in manifest.members]
    raise ConfigError(f"model.engine {engine!r} is unknown; use one of {', '.join(ENGINES)}")
