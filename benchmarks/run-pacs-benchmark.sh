#!/usr/bin/env bash
# Pull one study of N fundus OP instances from a real Orthanc: fundus4j C-GET / C-MOVE / WADO-RS
# against dcmtk getscu / movescu, same Orthanc, same run (issue 5). Prints a Markdown table.
# Usage: benchmarks/run-pacs-benchmark.sh [instances=200] [size=512] [repeats=3]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# reactor build (no install: ~/.m2 may be shared); this tree's io and dicom classes come first on the class path
# (the class path Maven prints names whatever fundus4j-io jar ~/.m2 holds)
mvn -q -B -pl dicom -am package -Dmaven.test.skip=true
mvn -q -B -pl dicom dependency:build-classpath -Dmdep.outputFile=target/pacs-classpath.txt
CP="io/target/classes:dicom/target/classes:$(cat dicom/target/pacs-classpath.txt)"
mkdir -p benchmarks/target/pacs-classes
javac -d benchmarks/target/pacs-classes -cp "$CP" benchmarks/src/main/java/org/fundus4j/benchmarks/PacsPullBenchmark.java
# PixelMed's loggers off, as the cli sets them (cli/src/main/resources/simplelogger.properties): its WARN per
# C-GET response would otherwise be printed 200 times per pull inside the timed part
exec java -cp "benchmarks/target/pacs-classes:$CP" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.com.pixelmed=off org.fundus4j.benchmarks.PacsPullBenchmark "$@"
