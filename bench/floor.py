"""The floor of the daily path: the same work as `fxbot run-once --dry-run --no-fetch` with numpy and LiteRT only.

What every post needs, done as plainly as numpy allows:
- each pair's whole history (the 20-day loss from history uses every window since 2006), parsed with
  numpy's C parser;
- the eight features of ``fxbot.features`` for the last 20-day window, scaled with the manifest's scaler;
- the five members run with LiteRT as fxbot runs them (one thread, ``BUILTIN_WITHOUT_DEFAULT_DELEGATES``:
  the default XNNPACK delegate costs time and memory a 20x8 window never repays), and the vote;
- the book's 1-day and 20-day losses from history on the days all pairs share (historical simulation),
  and the filtered one (EWMA volatility, lambda 0.94, in plain floats), read off with ``np.quantile``;
- each pair's ``evidence.json`` (the walk-forward's figures and tail that the post quotes).
Prints one line per pair and the book's figures. No fxbot import: what fxbot costs above this is overhead.

    python bench/floor.py [DATA_DIR] [MODELS_DIR]
"""

import io
import json
import sys
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

REPO = Path(__file__).resolve().parents[1]
data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "data"
model_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else REPO / "models"
PAIRS = ("USDJPY", "EURJPY", "GBPJPY")
LEVERAGE = np.array([1.79, 1.68, 1.03])
EQUITY = 1_000_000.0

history = []
sides = []
for pair in PAIRS:
    text = (data_dir / f"{pair}.csv").read_text()
    prices = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, usecols=(1, 2, 3, 4), ndmin=2)
    days = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, usecols=(0,), dtype="datetime64[D]")
    history.append((days, prices[:, 3]))
    o, h, low, c = prices[-39:].T  # 19 warm-up days + a 20-day window
    prev = np.concatenate([[np.nan], c[:-1]])
    ma5 = np.convolve(c, np.ones(5) / 5, "full")[: len(c)]
    ma20 = np.convolve(c, np.ones(20) / 20, "full")[: len(c)]
    rows = np.log(
        np.column_stack(
            [c / prev, o / prev, c / o, h / low, h / np.maximum(o, c), np.minimum(o, c) / low, c / ma5, c / ma20]
        )
    )[19:]
    manifest = json.loads((model_dir / pair / "manifest.json").read_text())
    evidence = json.loads((model_dir / pair / "evidence.json").read_text())
    x = ((rows - manifest["scaler_mean"]) / manifest["scaler_std"]).astype("float32")[None]
    ups = 0
    for member in manifest["members"]:
        interpreter = Interpreter(
            model_path=str(model_dir / pair / member["tflite"]),
            num_threads=1,
            experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
        interpreter.allocate_tensors()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
        interpreter.invoke()
        ups += float(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).reshape(-1)[0]) > 0.5
    n = len(manifest["members"])
    sides.append(1.0 if 2 * ups > n else -1.0)
    print(pair, str(days[-1]), "BUY" if 2 * ups > n else "SELL", f"{max(ups, n - ups)}/{n}", len(evidence))

# The book's loss from history: every window on the days all three pairs have a bar.
common = history[0][0]
for days, _ in history[1:]:
    common = np.intersect1d(common, days, assume_unique=True)
closes = np.stack([c[np.searchsorted(d, common)] for d, c in history], axis=1)
exposure = np.array(sides) * LEVERAGE * EQUITY
daily = closes[1:] / closes[:-1] - 1.0
for horizon, confidence in ((1, 0.99), (20, 0.999)):
    losses = -((closes[horizon:] / closes[:-horizon] - 1.0) @ exposure)
    print(f"{horizon}-day {confidence:.1%} loss", round(float(np.quantile(losses, confidence, method="inverted_cdf"))))
    print(f"worst {horizon} days", round(float(losses.max())), str(common[int(losses.argmax())]))
# Filtered: each past daily return times today's EWMA volatility over the volatility known before it.
rescaled = np.empty_like(daily)
for j in range(daily.shape[1]):
    v = float(np.mean(daily[:20, j] ** 2))
    column = []
    for r in daily[:, j].tolist():
        column.append(v)
        v = 0.94 * v + 0.06 * r * r
    rescaled[:, j] = daily[:, j] / np.sqrt(column) * np.sqrt(v)
csum = np.concatenate([np.zeros((1, 3)), np.cumsum(rescaled, axis=0)])
for horizon, confidence in ((1, 0.99), (20, 0.999)):
    losses = -((csum[horizon:] - csum[:-horizon]) @ exposure)
    print(f"filtered {horizon}-day loss", round(float(np.quantile(losses, confidence, method="inverted_cdf"))))
