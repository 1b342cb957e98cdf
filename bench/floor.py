"""The floor of the daily path: the same work as `fxbot run-once --dry-run --no-fetch` with numpy and LiteRT only.

Reads the tail of each pair's CSV, computes the eight features of ``fxbot.features`` for the last
20-day window, scales them with the manifest's scaler, runs the five members and takes the vote.
Prints one line per pair. No fxbot import: what fxbot costs above this is overhead.

    python bench/floor.py [DATA_DIR] [MODELS_DIR]
"""

import json
import sys
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter

REPO = Path(__file__).resolve().parents[1]
data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "data"
model_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else REPO / "models"

for pair in ("USDJPY", "EURJPY", "GBPJPY"):
    lines = (data_dir / f"{pair}.csv").read_text().splitlines()[-39:]  # 19 warm-up days + a 20-day window
    ohlc = np.array([[float(v) for v in line.split(",")[1:5]] for line in lines])
    o, h, low, c = ohlc.T
    prev = np.concatenate([[np.nan], c[:-1]])
    ma5 = np.convolve(c, np.ones(5) / 5, "full")[: len(c)]
    ma20 = np.convolve(c, np.ones(20) / 20, "full")[: len(c)]
    rows = np.log(
        np.column_stack(
            [c / prev, o / prev, c / o, h / low, h / np.maximum(o, c), np.minimum(o, c) / low, c / ma5, c / ma20]
        )
    )[19:]
    manifest = json.loads((model_dir / pair / "manifest.json").read_text())
    x = ((rows - manifest["scaler_mean"]) / manifest["scaler_std"]).astype("float32")[None]
    ups = 0
    for member in manifest["members"]:
        interpreter = Interpreter(model_path=str(model_dir / pair / member["tflite"]))
        interpreter.allocate_tensors()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
        interpreter.invoke()
        ups += float(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).reshape(-1)[0]) > 0.5
    n = len(manifest["members"])
    print(pair, lines[-1].split(",")[0], "BUY" if 2 * ups > n else "SELL", f"{max(ups, n - ups)}/{n}")
