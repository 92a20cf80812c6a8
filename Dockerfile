# The application image: the project installed with pip, served over HTTP on port 1416 by `extractive-qa serve`
# (hayhooks with the application's guard: EQA_EXPOSED, EQA_API_KEY, limits; see docs/serving.md).
# Built and started by docker-compose.yml (with Elasticsearch); settings come from EQA_* environment variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HAYSTACK_TELEMETRY_ENABLED=False \
    HF_HOME=/home/app/.cache/huggingface

WORKDIR /app

# PyPI's torch wheel for Linux is the CUDA build (several GB); the CPU build is enough to serve the reader.
# Build with --build-arg TORCH_INDEX_URL= to take PyPI's wheel instead.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN if [ -n "$TORCH_INDEX_URL" ]; then pip install --index-url "$TORCH_INDEX_URL" torch; fi

# The package carries everything it runs: the components, the YAML pipelines and the hayhooks wrappers.
COPY pyproject.toml README.md ./
COPY extractive_qa ./extractive_qa
COPY components ./components
COPY pipelines ./pipelines
RUN pip install ".[haystack2]"

COPY data ./data

RUN useradd --create-home --uid 1000 app && mkdir -p "$HF_HOME" && chown -R app:app /home/app
USER app

EXPOSE 1416
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:1416/status', timeout=5)"
# Exposed (EQA_EXPOSED=1 in docker-compose.yml): needs EQA_API_KEY, and hayhooks' deploy endpoints are off.
CMD ["extractive-qa", "serve", "--host", "0.0.0.0", "--port", "1416"]
