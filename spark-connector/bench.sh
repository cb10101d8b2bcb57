#!/usr/bin/env bash
# Runs one benchmark program of the spark-connector module (a main class, not a test) with the
# JVM flags of the parent pom, on the module's test class path.
#   spark-connector/bench.sh MatmulBenchmark [n] [block] [reps]
#   spark-connector/bench.sh DataFrameBenchmark [rows] [cols] [partitions]
#   spark-connector/bench.sh BatchedMatmulBenchmark [batch] [n] [batch block] [reps]
#   spark-connector/bench.sh StreamingBenchmark [rows] [cols] [block rows] [reps]
#   BENCH_HEAP=3g spark-connector/bench.sh PersistUnderBudget [rows] [cols] [blockRows] [budget] [offheap|limit] [evict]
set -euo pipefail
cd "$(dirname "$0")/.."
main=${1:?usage: spark-connector/bench.sh MatmulBenchmark|DataFrameBenchmark|PersistUnderBudget [args]}
shift
mvn -B -q -o -pl spark-connector -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.cp
flags=$(sed -n 's:.*<tessera.jvm.flags>\(.*\)</tessera.jvm.flags>.*:\1:p' pom.xml)
cp=spark-connector/target/test-classes:spark-connector/target/classes:engine/target/classes:$(cat spark-connector/target/bench.cp)
# shellcheck disable=SC2086
exec java $flags -Xmx${BENCH_HEAP:-10g} -cp "$cp" "org.tessera.spark.bench.$main" "$@"
