#!/usr/bin/env bash
# Kafka Streams store benchmark (RocksDB against Cubby, one count topology, in-process KRaft broker).
# Usage: kafka-streams/bench.sh [events=10000000] [keys=1000000] [stores=rocksdb,cubby] [partitions=2] [cacheBytes]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o -pl store,kafka-streams -am -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
CP="kafka-streams/target/test-classes:kafka-streams/target/classes:store/target/classes:$(cat kafka-streams/target/bench-classpath.txt)"
exec java -Xmx4g \
    --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
    --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$CP" io.cubby.kafka.KafkaStreamsStoreBenchmark "$@"
