#!/usr/bin/env bash
# Runs the benchmark matrix recorded in RESULTS.md (about 30 minutes on 2 cores), writes JMH JSON and logs to
# tools/bench/results/, and draws results/throughput.png.
#
#   bash tools/bench/run-benchmarks.sh            # from the repository root
#
# The full matrix (every store x 1M and 10M entries x 64/100-byte values x 1/2 threads) is
#   java -jar tools/bench/target/benchmarks.jar StoreBenchmark -p entries=1000000,10000000 -p valueSize=64,100 -t 1
# and again with -t 2; it takes several hours here.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -Pbench -pl tools/bench -am package -DskipTests
JAR=tools/bench/target/benchmarks.jar
OUT=tools/bench/results
mkdir -p "$OUT"
export CUBBY_BENCH_DIR="${CUBBY_BENCH_DIR:-target/bench-data}"
run() { # name, then JMH arguments
  local name=$1; shift
  echo "== $name: $*"
  java -Dcubby.bench.dir="$CUBBY_BENCH_DIR" -jar "$JAR" "$@" -rf json -rff "$OUT/$name.json" 2>&1 | tee "$OUT/$name.log" | grep -E "^(Benchmark|[A-Z][A-Za-z]+Benchmark\.)|GROWTH|FILE-SIZE" || true
}
run memory-latency MemoryLatencyBenchmark
run ops-1m-t1 'StoreBenchmark' -p entries=1000000 -p valueSize=64 -t 1
run ops-1m-t2 'StoreBenchmark.(getPresent|updateExisting)' -p entries=1000000 -p valueSize=64 -p store=cubby,chronicle,lmdb,rocksdb,chm -t 2
run ops-1m-v100 'StoreBenchmark.(getPresent|updateExisting)' -p entries=1000000 -p valueSize=100 -p store=cubby,chronicle,lmdb,rocksdb,chm -t 1
run ops-10m-t1 'StoreBenchmark.(getPresent|getAbsent|updateExisting)' -p entries=10000000 -p valueSize=64 -p store=cubby,chronicle,lmdb,rocksdb,chm -t 1
run insert-1m InsertBenchmark -p entries=1000000
run reopen-10m ReopenBenchmark -p entries=10000000 -p store=cubby,chronicle,lmdb,rocksdb
run reopen-1m ReopenBenchmark -p entries=1000000 -p store=mapdb
run growth-10m GrowthLatencyBenchmark -p total=10000000
run gc-cubby 'StoreBenchmark.(getPresent|updateExisting)' -p entries=1000000 -p store=cubby -prof gc -i 2 -wi 1
java -cp "$JAR" io.cubby.bench.Plot "$OUT/throughput.png" "$OUT"/ops-*.json "$OUT"/insert-1m.json | tee "$OUT/table.md"
