# syntax=docker/dockerfile:1
# fxbot images. Default target (the last stage, `daemon`, which is `runtime`): the daily path only (LiteRT, no
# TensorFlow), non-root, `fxbot schedule` as the command. Target `train` adds TensorFlow for `fxbot train` /
# `fxbot backtest`; target `slack-app` runs `fxbot slack-app`.
#   docker build -t fxbot .                    docker build --target train -t fxbot-train .
#   docker run -d --name fxbot --env-file /etc/fxbot/fxbot.env -v fxbot-state:/app/state fxbot
# All state (bars, model versions, champion pointers, promotions log, ledger) is in the /app/state volume; the
# image's data/ and models/ only seed it on first use, and a newer image's models arrive there as challengers.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Dependencies first, from the lock (exact versions and hashes): a layer that a change of code leaves alone.
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements/*.txt ./requirements/
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements/run.txt

FROM deps AS deps-slack-app
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements/slack-app.txt

FROM deps AS deps-train
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements/train.txt

# Then fxbot's wheel, without dependencies; it carries the shipped models, bundled history and default config
# (fxbot/shipped/ links to models/, data/ and configs/, hence their copies here). Each image installs it on top of
# its stage's dependencies.
FROM ${PYTHON_IMAGE} AS source
WORKDIR /src
COPY pyproject.toml README.md ./
COPY configs ./configs
COPY data ./data
COPY models ./models
COPY fxbot ./fxbot

FROM deps AS build
COPY --from=source /src /src
RUN /opt/venv/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS runtime
# A fixed numeric id, so volume ownership on the host is predictable (chown 10001 state/).
RUN groupadd --system --gid 10001 fxbot \
    && useradd --system --uid 10001 --gid fxbot --home-dir /app --no-create-home --shell /usr/sbin/nologin fxbot
# The lock's dependencies as the deps stage installed them: a layer that a change of code leaves alone (pulled
# once, not per release); fxbot's own wheel goes on top in a layer of its own (about 5 MB with models and data).
COPY --from=deps /opt/venv /opt/venv
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    /opt/venv/bin/pip install --no-cache-dir --no-deps /wheels/fxbot-*.whl
WORKDIR /app
COPY --chown=fxbot:fxbot configs ./configs
COPY --chown=fxbot:fxbot data ./data
COPY --chown=fxbot:fxbot models ./models
# The image's config seeds from /app/data and /app/models (the same files as the package's copies), so an old
# fxbot-data volume still mounted on /app/data keeps seeding the state with its bars.
RUN sed -i 's|"{shipped}/|"/app/|' /app/configs/default.yaml
RUN mkdir -p /app/state && chown fxbot:fxbot /app/state
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FXBOT_CONFIG=/app/configs/default.yaml \
    FXBOT_STATE_DIR=/app/state
USER 10001:10001
# State in one volume; the bundled data and models stay in the image (a new image brings new seeds, never
# overwriting the volume). An old fxbot-data volume still mounted on /app/data seeds the state with its bars.
VOLUME ["/app/configs", "/app/state"]
# Healthy while the `fxbot schedule` daemon is alive: its watchdog touches state/fxbot-daemon.alive every 10 s
# while the scheduler ticks. Stale data or a failed run do not make it unhealthy (a restart fixes neither; they
# are alerted and in `fxbot status`). Docker knows exit 0 and 1 only, hence `|| exit 1` (a config error exits 2).
HEALTHCHECK --interval=60s --timeout=15s --start-period=60s --retries=3 CMD ["/bin/sh", "-c", "fxbot status --health || exit 1"]
ENTRYPOINT ["fxbot"]
CMD ["schedule"]

# `fxbot slack-app` (slash commands and App Home over Socket Mode), in a container of its own beside the daemon:
#   docker build --target slack-app -t fxbot-slack-app .
#   docker run -d --name fxbot-slack-app --restart unless-stopped --env-file /etc/fxbot/fxbot.env \
#     -v fxbot-state:/app/state fxbot-slack-app
# It exits 4 when its connection goes stale, and --restart starts it afresh; the daemon's liveness file is not
# its health, so the inherited HEALTHCHECK is off.
FROM runtime AS slack-app
USER 0:0
COPY --from=deps-slack-app /opt/venv /opt/venv
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    /opt/venv/bin/pip install --no-cache-dir --no-deps /wheels/fxbot-*.whl
USER 10001:10001
HEALTHCHECK NONE
CMD ["slack-app"]

FROM runtime AS train
USER 0:0
COPY --from=deps-train /opt/venv /opt/venv
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    /opt/venv/bin/pip install --no-cache-dir --no-deps /wheels/fxbot-*.whl
USER 10001:10001
CMD ["train"]

# The last stage is what `docker build .` builds without --target: the daemon's image, `runtime` as it is.
FROM runtime AS daemon
