package io.cubby.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * Turns one run of {@code run-fair.sh} (a results directory) into RESULTS.md: every table from that run, each
 * cell the mean over repetitions with the min-max spread, and for every row the ratio of Cubby to the best
 * peer (in-memory {@code chm} is shown as a baseline but is not a peer), saying so where Cubby trails.
 * <p>
 * Run: {@code java -cp tools/bench/target/benchmarks.jar io.cubby.bench.Report RESULTS_DIR OUT.md [--draft]}
 */
public final class Report
{
    private static final List<String> OPERATIONS = List.of(
        "getPresent1", "getPresent2", "getAbsent1", "update1", "update2", "mixed2");
    private static final Map<String, String> OPERATION_NAMES = Map.of(
        "getPresent1", "get, present key, 1 thread",
        "getPresent2", "get, present key, 2 threads",
        "getAbsent1", "get, absent key, 1 thread",
        "update1", "update existing key, 1 thread",
        "update2", "update existing key, 2 threads",
        "mixed2", "90 % get / 10 % update, 2 threads");
    /** Format version 2 (engine v2, the default of a new store), presized and growing: shown when a run includes them. */
    private static final String V2 = "cubby-v2";
    private static final String V2_GROW = "cubby-v2-grow";
    private static final List<String> PEERS = List.of("chronicle", "chronicle-under", "lmdb", "rocksdb", "mapdb");

    private final Path dir;
    private final boolean draft;
    /** entries -> operation -> store -> per-repetition scores (ops/s). */
    private final Map<Long, Map<String, Map<String, List<Double>>>> ops = new LinkedHashMap<>();
    /** entries -> store -> per-repetition load records. */
    private final Map<Long, Map<String, List<Map<?, ?>>>> loads = new LinkedHashMap<>();
    private final Map<Long, Double> boundsOff = new LinkedHashMap<>();
    private final Map<Long, Double> chase = new LinkedHashMap<>();
    /** HarnessFloorBenchmark's ops/s per store size: FairBenchmark's key draw and key read, chained reads. */
    private final Map<Long, Double> floor = new LinkedHashMap<>();
    /** The same with independent reads, as a throughput run issues them. */
    private final Map<Long, Double> floorOverlapped = new LinkedHashMap<>();
    /** operation -> store -> bytes per operation. */
    private final Map<String, Map<String, Double>> allocation = new LinkedHashMap<>();
    private final StringBuilder out = new StringBuilder();

    private Report(final Path dir, final boolean draft)
    {
        this.dir = dir;
        this.draft = draft;
    }

    public static void main(final String[] args) throws IOException
    {
        if (args.length < 2)
        {
            System.err.println("usage: Report RESULTS_DIR OUT.md [--draft]");
            System.exit(2);
        }
        final Report report = new Report(Path.of(args[0]), args.length > 2 && "--draft".equals(args[2]));
        report.read();
        Files.writeString(Path.of(args[1]), report.render());
    }

    private void read() throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)files.sorted()::iterator)
            {
                final String name = file.getFileName().toString();
                if (name.startsWith("jmh-") && name.endsWith(".json"))
                {
                    readThroughput(file);
                }
                else if (name.startsWith("boundsoff-") && name.endsWith(".json"))
                {
                    for (final Map<?, ?> result : jmh(file))
                    {
                        boundsOff.put(entries(result), score(result));
                    }
                }
                else if ("memory.json".equals(name))
                {
                    for (final Map<?, ?> result : jmh(file))
                    {
                        final long bytes = Long.parseLong(((Map<?, ?>)result.get("params")).get("bytes").toString());
                        chase.put(bytes, ((Number)((Map<?, ?>)result.get("primaryMetric")).get("score")).doubleValue());
                    }
                }
                else if ("floor.json".equals(name))
                {
                    for (final Map<?, ?> result : jmh(file))
                    {
                        final boolean chained = result.get("benchmark").toString().endsWith("Chained1");
                        (chained ? floor : floorOverlapped).put(entries(result), score(result));
                    }
                }
                else if ("alloc.json".equals(name))
                {
                    readAllocation(file);
                }
                else if ("load.jsonl".equals(name))
                {
                    for (final String line : Files.readAllLines(file))
                    {
                        if (!line.isBlank())
                        {
                            final Map<?, ?> record = (Map<?, ?>)new Plot.Json(line).value();
                            loads.computeIfAbsent(((Number)record.get("entries")).longValue(),
                                k -> new LinkedHashMap<>())
                                .computeIfAbsent((String)record.get("store"), k -> new ArrayList<>()).add(record);
                        }
                    }
                }
            }
        }
    }

    private static List<Map<?, ?>> jmh(final Path file) throws IOException
    {
        final List<Map<?, ?>> results = new ArrayList<>();
        final String text = Files.readString(file).trim();
        if (text.isEmpty())
        {
            return results;
        }
        for (final Object item : (List<?>)new Plot.Json(text).value())
        {
            results.add((Map<?, ?>)item);
        }
        return results;
    }

    private static long entries(final Map<?, ?> result)
    {
        return Long.parseLong(((Map<?, ?>)result.get("params")).get("entries").toString());
    }

    private static String store(final Map<?, ?> result)
    {
        return ((Map<?, ?>)result.get("params")).get("store").toString();
    }

    private static String operation(final Map<?, ?> result)
    {
        final String benchmark = (String)result.get("benchmark");
        return benchmark.substring(benchmark.lastIndexOf('.') + 1);
    }

    private static double score(final Map<?, ?> result)
    {
        return ((Number)((Map<?, ?>)result.get("primaryMetric")).get("score")).doubleValue();
    }

    private void readThroughput(final Path file) throws IOException
    {
        for (final Map<?, ?> result : jmh(file))
        {
            ops.computeIfAbsent(entries(result), k -> new LinkedHashMap<>())
                .computeIfAbsent(operation(result), k -> new LinkedHashMap<>())
                .computeIfAbsent(store(result), k -> new ArrayList<>()).add(score(result));
        }
    }

    private void readAllocation(final Path file) throws IOException
    {
        for (final Map<?, ?> result : jmh(file))
        {
            final Map<?, ?> secondary = (Map<?, ?>)result.get("secondaryMetrics");
            if (null == secondary)
            {
                continue;
            }
            for (final Map.Entry<?, ?> metric : secondary.entrySet())
            {
                if (metric.getKey().toString().endsWith("gc.alloc.rate.norm"))
                {
                    allocation.computeIfAbsent(operation(result), k -> new LinkedHashMap<>())
                        .put(store(result), ((Number)((Map<?, ?>)metric.getValue()).get("score")).doubleValue());
                }
            }
        }
    }

    private String render() throws IOException
    {
        line("# Benchmark results");
        line("");
        if (draft)
        {
            line("> **DRAFT: smoke-test numbers, not results.** Made at small sizes with one short repetition on a");
            line("> busy machine, only to show that every benchmark and every store runs and that this page is");
            line("> generated. The real figures come from `tools/bench/run-fair.sh` on a quiet machine.");
            line("");
        }
        line("Cubby against Chronicle Map, LMDB, RocksDB and MapDB (and `ConcurrentHashMap` as an in-memory");
        line("baseline, not a peer), every store on equal terms (issue 10). Generated by `io.cubby.bench.Report` from");
        line("the results directory `" + dir + "` of one `run-fair.sh` run: every table below comes from that run.");
        line("");
        section("Machine and commands");
        line("```");
        appendFile("machine.txt");
        line("```");
        line("");
        line("Commands, in the order they ran:");
        line("");
        line("```");
        appendFile("commands.txt");
        line("```");
        line("");
        line(Static.METHOD);
        for (final long entries : new TreeSet<>(union()))
        {
            section(count(entries) + " entries (16-byte keys, 64-byte distinct values)");
            operationsTable(entries);
            memoryReads(entries);
            loadTable(entries);
        }
        allocationTable();
        line(Static.SETTINGS);
        return out.toString();
    }

    private TreeSet<Long> union()
    {
        final TreeSet<Long> sizes = new TreeSet<>(ops.keySet());
        sizes.addAll(loads.keySet());
        return sizes;
    }

    private void operationsTable(final long entries)
    {
        final Map<String, Map<String, List<Double>>> table = ops.get(entries);
        if (null == table)
        {
            return;
        }
        final List<String> stores = new ArrayList<>();
        for (final String store : Stores.THROUGHPUT)
        {
            if (table.values().stream().anyMatch(row -> row.containsKey(store)))
            {
                stores.add(store);
            }
        }
        line("### Operations on a loaded store (ops/s, higher is better)");
        line("");
        line("Each cell: mean over the repetitions (min-max of the repetitions' scores in brackets; each score is");
        line("one JMH fork's mean over its measurement iterations). Repetitions alternate the store order.");
        line("");
        final boolean v2 = stores.contains(V2);
        if (v2)
        {
            header("operation", stores, "Cubby v1 / best peer", "Cubby v2 / best peer");
        }
        else
        {
            header("operation", stores, "Cubby / best peer");
        }
        for (final String op : OPERATIONS)
        {
            final Map<String, List<Double>> row = table.get(op);
            if (null == row)
            {
                continue;
            }
            final StringBuilder cells = new StringBuilder("| " + OPERATION_NAMES.get(op) + " |");
            for (final String store : stores)
            {
                final List<Double> scores = row.get(store);
                cells.append(' ').append(null == scores ? "-" : spread(scores, "%,.0f")).append(" |");
            }
            cells.append(' ').append(ratio(mean(row.get("cubby")), bestPeer(row, true), true)).append(" |");
            if (v2)
            {
                cells.append(' ').append(ratio(mean(row.get(V2)), bestPeer(row, true), true)).append(" |");
            }
            line(cells.toString());
        }
        final Double off = boundsOff.get(entries);
        if (null != off)
        {
            final StringBuilder cells = new StringBuilder(
                "| *get, present key, 1 thread, Cubby with Agrona bounds checks off (not a default)* |");
            for (final String store : stores)
            {
                cells.append(' ').append("cubby".equals(store) ? String.format(Locale.ROOT, "%,.0f", off) : "")
                    .append(" |");
            }
            final Map<String, List<Double>> row = table.get("getPresent1");
            cells.append(' ').append(null == row ? "-" : ratio(off, bestPeer(row, true), true)).append(" |");
            line(cells.toString());
        }
        line("");
    }

    private static Map.Entry<String, Double> bestPeer(final Map<String, List<Double>> row, final boolean higher)
    {
        Map.Entry<String, Double> best = null;
        for (final Map.Entry<String, List<Double>> cell : row.entrySet())
        {
            if (PEERS.contains(cell.getKey()))
            {
                final double value = mean(cell.getValue());
                if (null == best || (higher ? value > best.getValue() : value < best.getValue()))
                {
                    best = Map.entry(cell.getKey(), value);
                }
            }
        }
        return best;
    }

    private void memoryReads(final long entries)
    {
        final Map<String, Map<String, List<Double>>> table = ops.get(entries);
        final Long footprint = footprintFor(entries);
        if (null == table || null == footprint || null == table.get("getPresent1"))
        {
            return;
        }
        final double readNs = chase.get(footprint);
        line(String.format(Locale.ROOT, "### A get in dependent memory reads%n%nOne dependent random read " +
            "(`MemoryLatencyBenchmark`, pointer chase over %s MiB, comparable to the stores' footprint at this size) " +
            "took **%.1f ns**. A get of a present key (1 thread) costs:%n", footprint >> 20, readNs));
        final Map<String, List<Double>> row = table.get("getPresent1");
        final Double floorOps = floor.get(entries);
        final double floorNs = null == floorOps ? 0 : 1e9 / floorOps;
        if (null == floorOps)
        {
            line("| store | ns per get | dependent reads per get |");
            line("|---|---:|---:|");
        }
        else
        {
            line("| store | ns per get | dependent reads per get | beyond the harness's own |");
            line("|---|---:|---:|---:|");
        }
        for (final String store : Stores.THROUGHPUT)
        {
            if (row.containsKey(store))
            {
                final double ns = 1e9 / mean(row.get(store));
                line(String.format(Locale.ROOT, "| %s | %.0f | %.2f |", store, ns, ns / readNs) +
                    (null == floorOps ? "" : String.format(Locale.ROOT, " %.2f |", (ns - floorNs) / readNs)));
            }
        }
        line("");
        if (null != floorOps)
        {
            final Double overlapped = floorOverlapped.get(entries);
            line(String.format(Locale.ROOT, "The benchmark's own part of a get (`HarnessFloorBenchmark`: draw a " +
                "random " +
                "present key's index and read its 16 bytes from the key block, which every store's hash reads " +
                "first) takes %.0f ns when each read waits for the one before (%.2f dependent reads: the key block " +
                "is smaller than the stores), %s when they overlap freely; the last column takes the first away. " +
                "Successive gets are independent, so the processor overlaps some of their misses: these are costs " +
                "per get in a throughput run, not latencies.%n", floorNs, floorNs / readNs,
                null == overlapped ? "less" : String.format(Locale.ROOT, "%.0f ns", 1e9 / overlapped)));
        }
    }

    /** The pointer-chase footprint measured for a store size: the largest at most 256 bytes per entry. */
    private Long footprintFor(final long entries)
    {
        Long best = null;
        for (final long bytes : chase.keySet())
        {
            if (bytes <= entries * 256L && (null == best || bytes > best))
            {
                best = bytes;
            }
        }
        return null == best && !chase.isEmpty() ? chase.keySet().iterator().next() : best;
    }

    private void loadTable(final long entries)
    {
        final Map<String, List<Map<?, ?>>> records = loads.get(entries);
        if (null == records)
        {
            return;
        }
        final List<String> stores = new ArrayList<>();
        for (final String store : Stores.LOAD)
        {
            if (records.containsKey(store))
            {
                stores.add(store);
            }
        }
        final List<Map<?, ?>> none = records.get("none");
        final double baseline = null == none ? 0 : mean(values(none, r -> number(r, "peakRss")));
        line("### Load from empty, sizes, close and reopen (one process per store and repetition)");
        line("");
        line("`cubby-grow`: Cubby with its default sizing (first table for 1,024 entries), growing; `cubby`: created");
        line("for the entries. `chronicle`: Chronicle Map created for the entries; `chronicle-under`: created for a");
        line("quarter of them (max bloat factor 5). Cells: mean (min-max) over repetitions. Sizes are bytes per entry.");
        line("Peak RSS is the process's `VmHWM`; the baseline, a process holding only the dataset, peaked at " +
            String.format(Locale.ROOT, "%.0f MiB", baseline / (1 << 20)) + ".");
        line("");
        final boolean v2 = stores.contains(V2) || stores.contains(V2_GROW);
        final List<String> ratioColumns = v2 ?
            List.of("Cubby / best peer", "Cubby growing / best peer", "v2 / best peer", "v2 growing / best peer") :
            List.of("Cubby / best peer", "Cubby growing / best peer");
        final StringBuilder head = new StringBuilder("| metric |");
        final StringBuilder rule = new StringBuilder("|---|");
        for (final String store : stores)
        {
            head.append(' ').append(store).append(" |");
            rule.append("---:|");
        }
        for (final String column : ratioColumns)
        {
            head.append(' ').append(column).append(" |");
            rule.append("---:|");
        }
        line(head.toString());
        line(rule.toString());
        loadRow(records, stores, "create the empty store (ms)", false, r -> number(r, "createMs"));
        loadRow(records, stores, "load from empty (puts/s)", true, r -> number(r, "loadOpsPerSec"));
        loadRow(records, stores, "put latency p50 (µs)", false, r -> number(r, "p50Ns") / 1e3);
        loadRow(records, stores, "put latency p99 (µs)", false, r -> number(r, "p99Ns") / 1e3);
        loadRow(records, stores, "put latency p99.9 (µs)", false, r -> number(r, "p999Ns") / 1e3);
        loadRow(records, stores, "put latency max (ms)", false, r -> number(r, "maxNs") / 1e6);
        loadRow(records, stores, "directory while open, du (B/entry)", false, r -> number(r, "openDu") / entries);
        loadRow(records, stores, "directory while open, apparent (B/entry)", false,
            r -> number(r, "openApparent") / entries);
        loadRow(records, stores, "files after close, du (B/entry)", false, r -> number(r, "closedDu") / entries);
        loadRow(records, stores, "files after close, apparent (B/entry)", false,
            r -> number(r, "closedApparent") / entries);
        loadRow(records, stores, "close (ms)", false, r -> number(r, "closeMs"));
        loadRow(records, stores, "reopen (ms)", false, r -> number(r, "reopenMs"));
        loadRow(records, stores, "first get after reopen (µs)", false, r -> number(r, "firstGetUs"));
        loadRow(records, stores, "reopen + first get (ms)", false, r -> number(r, "reopenFirstGetMs"));
        loadRow(records, stores, "peak RSS (MiB)", false, r -> number(r, "peakRss") / (1 << 20));
        loadRow(records, stores, "peak RSS over the baseline (MiB)", false,
            r -> (number(r, "peakRss") - baseline) / (1 << 20));
        line("");
    }

    private void loadRow(
        final Map<String, List<Map<?, ?>>> records,
        final List<String> stores,
        final String name,
        final boolean higher,
        final ToDoubleFunction<Map<?, ?>> metric)
    {
        final Map<String, List<Double>> row = new LinkedHashMap<>();
        for (final String store : stores)
        {
            final List<Double> values = values(records.get(store), metric);
            if (!values.isEmpty())
            {
                row.put(store, values);
            }
        }
        if (row.isEmpty())
        {
            return;
        }
        final StringBuilder cells = new StringBuilder("| " + name + (higher ? "" : ", lower is better") + " |");
        for (final String store : stores)
        {
            final List<Double> values = row.get(store);
            cells.append(' ').append(null == values ? "-" : spread(values, null)).append(" |");
        }
        final Map.Entry<String, Double> best = bestPeer(row, higher);
        cells.append(' ').append(ratio(mean(row.get("cubby")), best, higher)).append(" |");
        cells.append(' ').append(ratio(mean(row.get("cubby-grow")), best, higher)).append(" |");
        if (stores.contains(V2) || stores.contains(V2_GROW))
        {
            cells.append(' ').append(ratio(mean(row.get(V2)), best, higher)).append(" |");
            cells.append(' ').append(ratio(mean(row.get(V2_GROW)), best, higher)).append(" |");
        }
        line(cells.toString());
    }

    private static List<Double> values(final List<Map<?, ?>> records, final ToDoubleFunction<Map<?, ?>> metric)
    {
        final List<Double> values = new ArrayList<>();
        if (null != records)
        {
            for (final Map<?, ?> record : records)
            {
                final double value = metric.applyAsDouble(record);
                if (!Double.isNaN(value))
                {
                    values.add(value);
                }
            }
        }
        return values;
    }

    private static double number(final Map<?, ?> record, final String key)
    {
        final Object value = record.get(key);
        return value instanceof Number ? ((Number)value).doubleValue() : Double.NaN;
    }

    private void allocationTable()
    {
        if (allocation.isEmpty())
        {
            return;
        }
        section("Allocation per operation (JMH `-prof gc`, `gc.alloc.rate.norm`, bytes/op)");
        final List<String> stores = new ArrayList<>();
        for (final String store : Stores.THROUGHPUT)
        {
            if (allocation.values().stream().anyMatch(row -> row.containsKey(store)))
            {
                stores.add(store);
            }
        }
        final StringBuilder head = new StringBuilder("| operation |");
        final StringBuilder rule = new StringBuilder("|---|");
        for (final String store : stores)
        {
            head.append(' ').append(store).append(" |");
            rule.append("---:|");
        }
        line(head.toString());
        line(rule.toString());
        for (final Map.Entry<String, Map<String, Double>> row : allocation.entrySet())
        {
            final StringBuilder cells = new StringBuilder("| " + OPERATION_NAMES.getOrDefault(row.getKey(),
                row.getKey()) + " |");
            for (final String store : stores)
            {
                final Double value = row.getValue().get(store);
                cells.append(' ').append(null == value ? "-" : String.format(Locale.ROOT, "%.1f", value))
                    .append(" |");
            }
            line(cells.toString());
        }
        line("");
        line("Fractions of a byte are JMH's own noise; see the store settings below for where a peer's API forces an");
        line("allocation.");
        line("");
    }

    private void header(final String first, final List<String> stores, final String... last)
    {
        final StringBuilder head = new StringBuilder("| " + first + " |");
        final StringBuilder rule = new StringBuilder("|---|");
        for (final String store : stores)
        {
            head.append(' ').append(store).append(" |");
            rule.append("---:|");
        }
        for (final String column : last)
        {
            head.append(' ').append(column).append(" |");
            rule.append("---:|");
        }
        line(head.toString());
        line(rule.toString());
    }

    private static String ratio(final double cubby, final Map.Entry<String, Double> best, final boolean higher)
    {
        if (Double.isNaN(cubby) || null == best || best.getValue() == 0)
        {
            return "-";
        }
        final double ratio = cubby / best.getValue();
        final boolean trails = higher ? ratio < 1 : ratio > 1;
        return String.format(Locale.ROOT, "%.2fx vs %s%s", ratio, best.getKey(), trails ? " **(Cubby trails)**" : "");
    }

    private static double mean(final List<Double> values)
    {
        if (null == values || values.isEmpty())
        {
            return Double.NaN;
        }
        double sum = 0;
        for (final double value : values)
        {
            sum += value;
        }
        return sum / values.size();
    }

    private static String spread(final List<Double> values, final String format)
    {
        final double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        final double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        final String mean = number(mean(values), format);
        return values.size() < 2 ? mean : mean + " (" + number(min, format) + "-" + number(max, format) + ")";
    }

    private static String number(final double value, final String format)
    {
        if (null != format)
        {
            return String.format(Locale.ROOT, format, value);
        }
        final double magnitude = Math.abs(value);
        return String.format(Locale.ROOT, magnitude >= 100 ? "%,.0f" : magnitude >= 10 ? "%.1f" : "%.2f", value);
    }

    private static String count(final long entries)
    {
        return entries % 1_000_000 == 0 ? entries / 1_000_000 + "M" : entries % 1000 == 0 ? entries / 1000 + "k" :
            Long.toString(entries);
    }

    private void appendFile(final String name) throws IOException
    {
        final Path file = dir.resolve(name);
        if (Files.exists(file))
        {
            out.append(Files.readString(file).stripTrailing()).append('\n');
        }
        else
        {
            line("(" + name + " missing)");
        }
    }

    private void section(final String title)
    {
        line("## " + title);
        line("");
    }

    private void line(final String text)
    {
        out.append(text).append('\n');
    }

    /** The parts of the page that describe the setup rather than report numbers. */
    static final class Static
    {
        static final String METHOD = String.join("\n",
            "## How the run is made",
            "",
            "* **One dataset for every store.** Key `i` is 16 bytes and value `i` 64 bytes, both in flat off-heap",
            "  blocks built before any store is opened (`Dataset`); every value is distinct, derived from its key's",
            "  index, and every trial checks 10,000 present and 10,000 absent keys before and after measuring. Each",
            "  store reads the key (and, for a put, the value) from those blocks through its no-copy API where it has",
            "  one, and every get delivers the 64 value bytes into a buffer owned by the calling thread. An update",
            "  writes key `i`'s own value again (the same bytes, a full write), so the contents stay checkable.",
            "* **Defaults in the JVM.** The forks run with `-Xmx8g` and the `--add-opens` the libraries need, nothing",
            "  else: Agrona bounds checks stay on (a separate, labelled row shows Cubby with them off).",
            "* **Same starting state.** Each store is loaded once per size from empty (by the load probe, which is",
            "  measured too) and closed; every benchmark trial works on a fresh copy of that directory, synced to disk",
            "  before the store is opened. Random keys come from a per-thread xorshift generator.",
            "* **One run, alternating order, spread shown.** All tables come from one `run-fair.sh` run. The",
            "  throughput benchmark runs once per repetition with all stores, the store order reversed every other",
            "  repetition; each load probe repetition likewise alternates the order. Cells show the mean and the",
            "  min-max over repetitions.",
            "* **Ratios.** The last column divides Cubby's figure by the best peer's (Chronicle Map sized or undersized,",
            "  LMDB, RocksDB, MapDB; never the in-memory `chm`). For rows where lower is better the row says so, and a",
            "  ratio above 1 there means Cubby trails; every row where Cubby trails is marked **(Cubby trails)**.",
            "");

        static final String SETTINGS = String.join("\n",
            "## Store settings",
            "",
            "Each store as its own documentation or benchmarks set it up, in durability comparable to Cubby's `NONE`",
            "(written to the OS, not fsynced). Versions from `tools/bench/pom.xml` and the Chronicle BOM.",
            "",
            "* **Cubby** (this build): `DirectBuffer` API (`put(key, off, len, value, off, len)`,",
            "  `get(key, off, len, dst, off)`) straight on the dataset blocks; `maxKeySize(16)`, `maxValueSize(64)`,",
            "  durability `NONE`, checksums verified on every read (the default). `cubby` sets",
            "  `expectedEntries(entries)`; `cubby-grow` leaves the default and grows. Allocation-free.",
            "* **Chronicle Map 2026.1** (chronicle-bom 2026.13): `ChronicleMap.of(byte[].class, byte[].class)`,",
            "  `constantKeySizeBySample`/`constantValueSizeBySample` (its docs' advice for fixed sizes),",
            "  `entries(n)` with `maxBloatFactor(2)` (undersized: `entries(n/4)`, `maxBloatFactor(5)`),",
            "  `createPersistedTo`. Used through query contexts on raw bytes, Chronicle's documented zero-copy path:",
            "  `queryContext(BytesStore, offset, 16)` reads the key in place from the key block; a get takes the read",
            "  lock and copies the entry's 64 value bytes into the thread's buffer; a put wraps the value in place",
            "  (`wrapValueBytesAsData`) and calls `replaceValue` or `insert`, so nothing is deserialised.",
            "  Allocation-free. (`getUsing(byte[] key, byte[] value)` allocated about 200 bytes per get in a trial",
            "  run, wrapping the key array in a `BytesStore`; the `ByteBuffer` key type about 460.)",
            "* **LMDB** (lmdbjava 0.9.1, bundled liblmdb): `Env.create(DirectBufferProxy.PROXY_DB)`, flags",
            "  `MDB_WRITEMAP`, `MDB_NOSYNC` (as the lmdbjava benchmarks) and `MDB_NOTLS`; map size",
            "  `entries x 256 B + 64 MiB` (a sparse file: see du against apparent size). Keys and values are Agrona",
            "  buffers wrapped in place on the blocks (lmdbjava's `ByteBuffer` proxy ignores a buffer's position, so",
            "  it would need a copy or a slice per key). Each thread keeps one read transaction, `renew()`ed before",
            "  and `reset()` after every get, as the lmdbjava benchmarks reuse theirs; the value is copied out of the",
            "  map inside the transaction. **Forced allocation:** each put is its own write transaction",
            "  (`Dbi.put(key, value)`), and lmdbjava allocates the `Txn` and its buffers.",
            "* **RocksDB** (rocksdbjni 10.10.1), per its tuning guide: block-based table with",
            "  `BloomFilter(10, false)` (10 bits/key, full filter) and whole-key filtering, an `LRUCache` of a third",
            "  of physical memory, `cacheIndexAndFilterBlocks` with L0 filter and index pinned, 16 KiB blocks,",
            "  `levelCompactionDynamicLevelBytes`, `MinOverlappingRatio` compaction priority, LZ4 with ZSTD at the",
            "  bottom level, `bytesPerSync` 1 MiB, `increaseParallelism(cores)`, `maxBackgroundJobs(cores)`. WAL on,",
            "  `setSync(false)`. Gets: `get(ReadOptions, ByteBuffer key, ByteBuffer value)`; puts:",
            "  `put(WriteOptions, ByteBuffer, ByteBuffer)`, direct views of the blocks. Allocation-free in Java.",
            "* **MapDB** 3.1.0: `DBMaker.fileDB(...).fileMmapEnableIfSupported().fileMmapPreclearDisable()",
            "  .cleanerHackEnable().concurrencyScale(16)`, `hashMap(BYTE_ARRAY, BYTE_ARRAY)`. **Forced allocation:**",
            "  its API is `byte[]` only: key and value are copied into arrays the thread reuses, but `get` returns a",
            "  new array and `put` deserialises the previous value. Loaded at 1 M only (a 10 M load takes too long",
            "  for the campaign).",
            "* **chm** (baseline, not a peer): `ConcurrentHashMap<ByteBuffer, byte[]>`. **Forced allocation:** heap",
            "  key objects (built before measurement) and a new `byte[]` per put. Throughput at 1 M only.",
            "");
    }
}
