# syntax=docker/dockerfile:1
# Overgang: FastAPI service. Build:  docker build -t overgang .
# Run:    docker run -p 8000:8000 -v overgang-data:/data overgang
# The default database is a SQLite file in the /data volume; point
# OVERGANG_DATABASE_URL at PostgreSQL (postgresql+psycopg://...) for production.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The package itself; alembic.ini, migrations/ and schemas/ stay in /app (the working directory).
COPY src/ ./src/
COPY migrations/ ./migrations/
COPY alembic.ini ./
COPY schemas/ ./schemas/
RUN pip install --no-deps . \
    && rm -rf build src/*.egg-info

# Unprivileged user; /data is the only place it writes to.
RUN groupadd --system --gid 10001 overgang \
    && useradd --system --uid 10001 --gid overgang --home-dir /data --no-create-home --shell /usr/sbin/nologin overgang \
    && mkdir -p /data \
    && chown overgang:overgang /data
VOLUME ["/data"]

ENV OVERGANG_DATABASE_URL=sqlite:////data/overgang.db \
    OVERGANG_MIGRATIONS_DIR=/app/migrations

USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Migrate, then replace the shell with the server so it receives SIGTERM directly.
# Extra `docker run` arguments are passed on to `overgang serve`.
ENTRYPOINT ["/bin/sh", "-c", "overgang db upgrade && exec overgang serve --host 0.0.0.0 --port 8000 \"$@\"", "overgang"]
