#!/usr/bin/env bash
# ResNet-50 inference and one training step, DL4J vs PyTorch on this machine, same run.
# Usage: benchmarks/run-benchmark.sh [--cases infer:224:8,train:224:8,infer:512:2,train:512:2]
#        [--repeats 3] [--warmup 1] [--threads N] [--out benchmarks/results]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -q -B -pl networks,benchmarks install -DskipTests
exec java -Xmx6g -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
  org.fundus4j.benchmarks.ResNet50Benchmark "$@"
