# The application image: the project installed with pip, served over HTTP by hayhooks on port 1416.
# Built and started by docker-compose.yml (with Elasticsearch); settings come from EQA_* environment variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HAYSTACK_TELEMETRY_ENABLED=False \
    HF_HOME=/home/app/.cache/huggingface \
    EQA_PIPELINES_DIR=/app/pipelines

WORKDIR /app

# PyPI's torch wheel for Linux is the CUDA build (several GB); the CPU build is enough to serve the reader.
# Build with --build-arg TORCH_INDEX_URL= to take PyPI's wheel instead.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN if [ -n "$TORCH_INDEX_URL" ]; then pip install --index-url "$TORCH_INDEX_URL" torch; fi

COPY pyproject.toml README.md ./
COPY extractive_qa ./extractive_qa
COPY components ./components
RUN pip install .

COPY pipelines ./pipelines
COPY data ./data

RUN useradd --create-home --uid 1000 app && mkdir -p "$HF_HOME" && chown -R app:app /home/app
USER app

EXPOSE 1416
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:1416/status', timeout=5)"
# For now hayhooks serves the YAML files of pipelines/ as they are (EQA_* settings do not reach them); the
# application's own server (`extractive-qa serve`, which applies the EQA_* settings, EQA_EXPOSED and EQA_API_KEY)
# replaces this command when it lands. See docs/elasticsearch.md.
CMD ["hayhooks", "run", "--host", "0.0.0.0", "--port", "1416", "--pipelines-dir", "/app/pipelines"]
