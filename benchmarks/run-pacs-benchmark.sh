#!/usr/bin/env bash
# Pull one study of N fundus OP instances from a real Orthanc: fundus4j C-GET / C-MOVE / WADO-RS
# against dcmtk getscu / movescu, same Orthanc, same run (issue 5). Prints a Markdown table.
# Usage: benchmarks/run-pacs-benchmark.sh [instances=200] [size=512] [repeats=3]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -q -B -pl dicom install -DskipTests
mvn -q -B -pl benchmarks compile dependency:build-classpath -Dmdep.outputFile=target/pacs-classpath.txt
exec java -cp "benchmarks/target/classes:$(cat benchmarks/target/pacs-classpath.txt)" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn org.fundus4j.benchmarks.PacsPullBenchmark "$@"
