#!/usr/bin/env bash
# The reader engine's device checks, as one prepared call of the device tool (an NVIDIA H200 with a 16-core host):
# everything the GPU figures of docs/fast-reader.md need, each step bounded so that one call stays inside 10 minutes.
#
# Prepare here (once per session; nothing of it is committed):
#   ../shared/tools/device_wheels.sh                       # the wheels the device image lacks, into .whl/
#   mkdir -p .device && cp ../shared/data/squad2/dev-v2.0.json ../shared/data/squad2/dev-v2.0-heldout.json \
#     && cp -r ../shared/models/minilm-squad-mini .device/ && echo /.device/ >> .git/info/exclude
# Then one device call per mode (carry [".whl", ".device"], timeout_s 590):
#   bash benchmarks/gpu_checks.sh gpu      # reader_throughput (stock fp32, stock fp16, ours with and without the
#                                          # engine, 8 concurrent run()), serving 1/8/32 clients, the CPU-side
#                                          # cost per window (reader_overhead), accuracy guard
#   bash benchmarks/gpu_checks.sh cpu16    # the 16-core host with CUDA hidden: reader_throughput
# Here, on any CPU, `bash benchmarks/gpu_checks.sh dry` runs every step at its smallest, to check the script itself.
# Results go to $OUT (the device tool brings them back), else to a new folder under /tmp (printed).
set -uo pipefail
mode="${1:-gpu}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${OUT:-$(mktemp -d /tmp/gpu-checks-XXXXXX)}"
mkdir -p "$out"
echo "results in $out"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HAYSTACK_TELEMETRY_ENABLED=False
if [ -d .whl ] && [ "$mode" != dry ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH="/tmp/site:$root"
fi
python="${PYTHON:-python3}"
[ "$mode" = dry ] && python="$root/.venv/bin/python"
data="${EQA_DEVICE_DATA:-$root/.device}"
[ -d "$data" ] || data="$root/../shared/data/squad2"
squad="$data/dev-v2.0.json"
heldout="$data/dev-v2.0-heldout.json"
small="$data/minilm-squad-mini"
[ -d "$small" ] || small="$root/../shared/models/minilm-squad-mini"

step() {  # step NAME SECONDS COMMAND...: one bounded step, its output kept in $out/NAME.log
  local name="$1" limit="$2"
  shift 2
  echo "== $name (at most ${limit}s)"
  timeout "$limit" "$@" 2>&1 | tee "$out/$name.log" | grep -v "^Writing\|it/s\]" | tail -n 25
}

case "$mode" in
  gpu)
    "$python" -c "import torch; print(torch.cuda.get_device_name(0), torch.__version__)"
    step reader_throughput 270 "$python" benchmarks/reader_throughput.py --squad "$squad" --questions 60 \
      --repeats 2 --readers stock,stock-fp16,ours,ours-noengine --clients 8 --rss-questions 1 \
      --json "$out/reader_throughput.json"
    step serving_latency 140 "$python" benchmarks/serving_latency.py --model random-roberta-base --questions 64 \
      --repeats 1 --warmup 2 --clients 1,8,32
    step reader_overhead 60 "$python" benchmarks/reader_overhead.py --squad "$squad" --questions 20 --repeats 2 \
      --json "$out/reader_overhead.json"
    step accuracy_guard 80 "$python" benchmarks/reader_accuracy_guard.py --model "$small" --data "$heldout" \
      --json "$out/accuracy_guard.json"
    ;;
  cpu16)
    export CUDA_VISIBLE_DEVICES=""
    step reader_throughput_cpu16 540 "$python" benchmarks/reader_throughput.py --squad "$squad" --questions 16 \
      --repeats 1 --readers stock,ours,ours-noengine --clients 8 --rss-questions 1 \
      --json "$out/reader_throughput_cpu16.json"
    ;;
  dry)
    step reader_throughput 900 "$python" benchmarks/reader_throughput.py --squad "$squad" --questions 2 \
      --repeats 1 --readers stock,ours,ours-noengine --clients 2 --rss-questions 1 --model "$small" \
      --json "$out/reader_throughput.json"
    step serving_latency 300 "$python" benchmarks/serving_latency.py --model "$small" --questions 4 --repeats 1 \
      --warmup 1 --clients 1,2
    step reader_overhead 300 "$python" benchmarks/reader_overhead.py --squad "$squad" --questions 2 --repeats 1 \
      --model "$small" --json "$out/reader_overhead.json"
    step accuracy_guard 300 "$python" benchmarks/reader_accuracy_guard.py --model "$small" --data "$heldout" \
      --limit 20 --json "$out/accuracy_guard.json"
    ;;
  *)
    echo "usage: $0 gpu|cpu16|dry" >&2
    exit 2
    ;;
esac
