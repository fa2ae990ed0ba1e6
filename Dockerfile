# syntax=docker/dockerfile:1
# Two stages: dependencies are built with a compiler in the first, the second only runs them.

FROM python:3.11.10-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /venv \
    && /venv/bin/pip install --no-cache-dir --upgrade pip \
    && /venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt

FROM python:3.11.10-slim-bookworm
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin sitrep \
    && mkdir -p /data \
    && chown sitrep:sitrep /data
COPY --from=build /venv /venv
WORKDIR /app
COPY main.py ./
COPY bot ./bot
COPY storage ./storage
COPY config ./config
# MPLCONFIGDIR: matplotlib (digest charts) caches fonts, and /app is read-only for sitrep.
ENV PATH="/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SITREP_STORAGE_PATH=/data/sitrep.db \
    MPLCONFIGDIR=/tmp/matplotlib
USER sitrep
VOLUME /data
# DISCORD_TOKEN comes from the environment at run time (e.g. `docker run --env-file .env`).
CMD ["python", "main.py", "run"]
