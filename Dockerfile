# The data lab service: one image for the web process, the workers and `justicelab service migrate`.
# Build: docker build -t justicelab .   Run the whole service: docker compose up (see docs/deploy.md).
FROM python:3.11-slim-bookworm

# WeasyPrint (PDF reports) needs Pango; fonts for the reports and charts
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY justicelab ./justicelab
RUN pip install --no-cache-dir ".[postgres]"

# an unprivileged user; uploads and reports go to /srv/service (a volume shared by web and workers)
RUN useradd --create-home --uid 10001 justicelab && mkdir -p /srv/service && chown justicelab /srv/service
USER justicelab
ENV JUSTICELAB_STORE=sqlite:////srv/service/store.db
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
ENTRYPOINT ["justicelab"]
CMD ["serve", "--db", "/data/national.duckdb", "--data", "/srv/service", "--host", "0.0.0.0", "--port", "8000", "--workers", "0"]
