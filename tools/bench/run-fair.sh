#!/usr/bin/env bash
# The fair benchmark campaign of issue 10: every store on equal terms, every table from this one run.
#
#   bash tools/bench/run-fair.sh                 # full: 1M and 10M entries, 2 repetitions (about 40-45 min, 2 cores)
#   bash tools/bench/run-fair.sh --quick         # 1M only, 2 short repetitions (about 15 min)
#   bash tools/bench/run-fair.sh --smoke         # 100k, 1 tiny repetition: checks that everything runs (about 6
#                                                # min on a quiet machine, 12 on a busy one); writes a draft
#
# Options:
#   --jmh-args "-wi 4 -w 1 -i 3 -r 1"   JMH iterations of the throughput runs (default: the class's)
#   --sizes "1000000 10000000"          entry counts
#   --stores "cubby chronicle"         only these stores and their variants (a partial run, for trying things out)
#   --reps N                            repetitions (default 2; store order reversed on even ones)
#   --out DIR                           results directory (default tools/bench/results/fair, --smoke: fair-smoke)
#   --results FILE                      page to write (default tools/bench/RESULTS.md; --smoke: DIR/RESULTS-draft.md,
#                                       labelled a draft)
#   --ignore-lock                       run beside another JMH (set by --smoke; never for real results)
#   --no-build                          use the existing tools/bench/target/benchmarks.jar
# Store files go to $CUBBY_BENCH_DIR (default target/bench-data; needs about 12 GB free for 10M). Run it on a
# quiet machine.
#
# Steps, each alternating the store order between repetitions:
#   1. LoadProbe, one process per store and repetition: load from empty with HdrHistogram put latencies,
#      directory size open and closed (du and apparent), close, reopen + first get, peak RSS; keeps the loaded
#      store as the starting copy for step 2.
#   2. FairBenchmark (JMH): get present 1/2 threads, get absent, update 1/2 threads, 90/10 mixed on 2 threads.
#   3. MemoryLatencyBenchmark over comparable footprints, HarnessFloorBenchmark (step 2's key draw and key read
#      alone) per size, Cubby's get with bounds checks off (labelled),
#      allocation per op (-prof gc, at the smallest size).
#   4. Report: the tables of RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

SIZES="1000000 10000000"
REPS=2
JMH_ITER=()                     # the class's defaults: warmup 5 x 1 s, measurement 3 x 1.5 s
JMH_PROPS=()                    # --ignore-lock: run beside another JMH (only for smoke runs on a shared machine)
OUT=""
RESULTS=""
BUILD=1
DRAFT=""
ONLY=""                         # --stores "cubby chronicle": run only these (and their variants), for trying the script
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) SIZES="1000000"; JMH_ITER=(-wi 2 -w 1 -i 2 -r 1) ;;
    --smoke) SIZES="100000"; REPS=1; JMH_ITER=(-wi 1 -w 1 -i 1 -r 1); DRAFT="--draft"; JMH_PROPS=(-Djmh.ignoreLock=true) ;;
    --ignore-lock) JMH_PROPS=(-Djmh.ignoreLock=true) ;;
    --jmh-args) read -r -a JMH_ITER <<< "$2"; shift ;;
    --stores) ONLY="$2"; shift ;;
    --sizes) SIZES="$2"; shift ;;
    --reps) REPS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --results) RESULTS="$2"; shift ;;
    --no-build) BUILD=0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$OUT" ]; then
  if [ -n "$DRAFT" ]; then OUT=tools/bench/results/fair-smoke; else OUT=tools/bench/results/fair; fi
fi
if [ -z "$RESULTS" ]; then
  if [ -n "$DRAFT" ]; then RESULTS="$OUT/RESULTS-draft.md"; else RESULTS=tools/bench/RESULTS.md; fi
fi

if [ "$BUILD" = 1 ]; then
  mvn -B -q -Pbench -pl tools/bench -am package -DskipTests
fi
JAR=tools/bench/target/benchmarks.jar
export CUBBY_BENCH_DIR="${CUBBY_BENCH_DIR:-target/bench-data}"
# asked before the old results go: their removal is not a change to the code measured
CHANGES=$(git diff --quiet HEAD -- store tools ':(exclude)tools/bench/results' ':(exclude)tools/bench/RESULTS.md' || echo ' (with local changes)')
rm -rf "$OUT" "$CUBBY_BENCH_DIR/prepared"
mkdir -p "$OUT" "$CUBBY_BENCH_DIR"
START=$(date +%s)

# The JVM flags of the forks (FairBenchmark's @Fork): the libraries' --add-opens, nothing that changes behaviour.
JVM=(--add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED --add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
  -Dchronicle.analytics.disable=true -Dchronicle.announcer.disable=true -Ddisable.perf.info=true -Xmx8g)

{
  echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit:  $(git rev-parse --short HEAD)$CHANGES"
  echo "cpus:    $(nproc) ($(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1))"
  echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel:  $(uname -sr)"
  echo "disk:    $(df -hT "$CUBBY_BENCH_DIR" | awk 'NR == 2 {print $2 " on " $1}')"
  echo "jdk:     $(java -version 2>&1 | head -2 | tail -1)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min load average at the start)"
  echo "sizes:   $SIZES; repetitions: $REPS; JMH iterations: ${JMH_ITER[*]:-class defaults (warmup 5 x 1 s, measurement 3 x 1.5 s)}"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

log() { echo "$*" >> "$OUT/commands.txt"; echo "== $*"; }
reversed() { local out=""; for s in $1; do out="$s $out"; done; echo $out; }
csv() { echo "$*" | tr ' ' ','; }

# Stores per size (cubby-v2: engine v2's store core, not yet behind the Cubby facade, a preview row): MapDB is loaded at 1M only (a 10M load takes too long); chm is benchmarked at 1M only.
only() { local out=""; for s in $1; do
           if [ -z "$ONLY" ]; then out="$out $s"; else for o in $ONLY; do case "$s" in "$o"|"$o"-*) out="$out $s" ;; esac; done; fi
         done; echo $out; }
load_stores() { if [ "$1" -le 1000000 ]; then only "cubby-grow cubby cubby-v2-grow cubby-v2 chronicle chronicle-under lmdb rocksdb mapdb chm";
                else only "cubby-grow cubby cubby-v2-grow cubby-v2 chronicle chronicle-under lmdb rocksdb chm"; fi; }
ops_stores() { if [ "$1" -le 1000000 ]; then only "cubby cubby-v2 chronicle lmdb rocksdb mapdb chm";
               else only "cubby cubby-v2 chronicle lmdb rocksdb"; fi; }
keep_for() { case " $(ops_stores "$2") " in *" $1 "*) echo keep ;; *) echo "" ;; esac; }

log "# JVM flags of every process: ${JVM[*]}"
for size in $SIZES; do
  stores=$(load_stores "$size")
  for rep in $(seq 1 "$REPS"); do
    order=$stores; [ $((rep % 2)) = 0 ] && order=$(reversed "$stores")
    for store in none $order; do
      log "java <flags> -cp $JAR io.cubby.bench.LoadProbe $store $size $OUT/load.jsonl $rep $(keep_for "$store" "$size")"
      java "${JVM[@]}" -Dcubby.bench.dir="$CUBBY_BENCH_DIR" -cp "$JAR" io.cubby.bench.LoadProbe \
        "$store" "$size" "$OUT/load.jsonl" "$rep" $(keep_for "$store" "$size") >> "$OUT/load.log" 2>&1 \
        || { echo "load probe $store $size failed, see $OUT/load.log" >&2; tail -20 "$OUT/load.log" >&2; exit 1; }
    done
  done
  stores=$(ops_stores "$size")
  for rep in $(seq 1 "$REPS"); do
    order=$stores; [ $((rep % 2)) = 0 ] && order=$(reversed "$stores")
    log "java -jar $JAR FairBenchmark -p entries=$size -p store=$(csv $order) ${JMH_ITER[*]} -rf json -rff $OUT/jmh-$size-r$rep.json"
    java "${JMH_PROPS[@]}" -Dcubby.bench.dir="$CUBBY_BENCH_DIR" -jar "$JAR" FairBenchmark -p entries="$size" -p store="$(csv $order)" \
      "${JMH_ITER[@]}" -rf json -rff "$OUT/jmh-$size-r$rep.json" > "$OUT/jmh-$size-r$rep.log" 2>&1 \
      || { echo "FairBenchmark failed, see $OUT/jmh-$size-r$rep.log" >&2; exit 1; }
    grep -E "^FairBenchmark" "$OUT/jmh-$size-r$rep.log" || true
  done
  log "java -jar $JAR 'FairBenchmark.getPresent1$' -p entries=$size -p store=cubby -jvmArgsPrepend -Dagrona.disable.bounds.checks=true ${JMH_ITER[*]} -rf json -rff $OUT/boundsoff-$size.json"
  java "${JMH_PROPS[@]}" -Dcubby.bench.dir="$CUBBY_BENCH_DIR" -jar "$JAR" 'FairBenchmark.getPresent1$' -p entries="$size" -p store=cubby \
    -jvmArgsPrepend -Dagrona.disable.bounds.checks=true "${JMH_ITER[@]}" -rf json -rff "$OUT/boundsoff-$size.json" \
    > "$OUT/boundsoff-$size.log" 2>&1
done

# Pointer chase over footprints comparable to the stores': 256 MiB for up to 1M entries, 2 GiB beyond.
footprints=""
for size in $SIZES; do
  if [ "$size" -le 1000000 ]; then f=268435456; else f=2147483584; fi
  case ",$footprints," in *",$f,"*) ;; *) footprints="${footprints:+$footprints,}$f" ;; esac
done
log "java -jar $JAR MemoryLatencyBenchmark -p bytes=$footprints ${JMH_ITER[*]} -rf json -rff $OUT/memory.json"
java "${JMH_PROPS[@]}" -jar "$JAR" MemoryLatencyBenchmark -p bytes="$footprints" "${JMH_ITER[@]}" -rf json -rff "$OUT/memory.json" \
  > "$OUT/memory.log" 2>&1
log "java -jar $JAR HarnessFloorBenchmark -p entries=$(csv $SIZES) ${JMH_ITER[*]} -rf json -rff $OUT/floor.json"
java "${JMH_PROPS[@]}" -jar "$JAR" HarnessFloorBenchmark -p entries="$(csv $SIZES)" "${JMH_ITER[@]}" -rf json \
  -rff "$OUT/floor.json" > "$OUT/floor.log" 2>&1

smallest=$(echo $SIZES | tr ' ' '\n' | sort -n | head -1)
log "java -jar $JAR 'FairBenchmark.(getPresent1|update1)$' -p entries=$smallest -p store=$(csv $(ops_stores "$smallest")) -prof gc -wi 5 -w 1 -i 1 -r 2 -rf json -rff $OUT/alloc.json"
java "${JMH_PROPS[@]}" -Dcubby.bench.dir="$CUBBY_BENCH_DIR" -jar "$JAR" 'FairBenchmark.(getPresent1|update1)$' -p entries="$smallest" \
  -p store="$(csv $(ops_stores "$smallest"))" -prof gc -wi 5 -w 1 -i 1 -r 2 -rf json -rff "$OUT/alloc.json" \
  > "$OUT/alloc.log" 2>&1

echo "took:    $(( ($(date +%s) - START) / 60 )) min for the measurements above" >> "$OUT/machine.txt"
log "java -cp $JAR io.cubby.bench.Report $OUT $RESULTS $DRAFT"
java -cp "$JAR" io.cubby.bench.Report "$OUT" "$RESULTS" $DRAFT
rm -rf "$CUBBY_BENCH_DIR/prepared"
echo "done in $(( ($(date +%s) - START) / 60 )) min; wrote $RESULTS"
