/**
 * Cubby as a persistent key-value state store for Kafka Streams.
 * <p>
 * Pick it per store with {@link io.cubby.kafka.CubbyStores} ({@code Materialized.as(...)},
 * {@code Stores.keyValueStoreBuilder(...)}) or for every DSL key-value store of a topology with
 * {@link io.cubby.kafka.CubbyDslStoreSuppliers} ({@code dsl.store.suppliers.class}). The stores restore from their
 * changelog topics like Kafka's RocksDB stores, answer interactive queries ({@code KeyQuery}, {@code RangeQuery})
 * with position tracking, and fail the task with {@link io.cubby.kafka.CubbyRecordTooLargeException} on a record
 * larger than their limits. Ordered scans read the whole store and sort: see the README.
 * <p>
 * This module uses a few of Kafka Streams' internal classes as its built-in stores do (changelog record headers,
 * position checkpoints, the standard query handling) and is built and tested against Kafka Streams 4.4.0.
 */
package io.cubby.kafka;
