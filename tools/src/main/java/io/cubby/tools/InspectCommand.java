package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.StoreInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code cubby inspect}: what the file headers say, read without taking the store's lock.
 */
@Command(name = "inspect", header = "Show what the file headers say; works on a store in use.",
    description = {
        "Describe a store from its file headers: format version, capacity, entries, load, tombstones, slot width, " +
            "probing, hash, file sizes, log, rehash and shutdown state.",
        "Takes no lock and writes nothing: works while another process has the store open (figures may then be " +
            "changing)."})
final class InspectCommand implements Callable<Integer>
{
    @Mixin
    private StoreDirectory store;

    @Mixin
    private FormatOption output;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call()
    {
        final StoreInfo info = Cubby.inspect(store.path);
        final PrintWriter out = spec.commandLine().getOut();
        if (null != info.segments)
        {
            segments(info, out, output.json());
        }
        else if (output.json())
        {
            out.println(json(info));
        }
        else
        {
            text(info, out);
        }
        return ExitCode.OK;
    }

    /** A format-version-2 store: its manifest and segment files. */
    private static void segments(final StoreInfo info, final PrintWriter out, final boolean json)
    {
        final StoreInfo.SegmentsInfo s = info.segments;
        if (json)
        {
            out.println(new JsonText().beginObject()
                .field("directory", info.directory)
                .field("formatVersion", info.formatVersion)
                .field("lockedByAnotherProcess", info.lockedByAnotherProcess)
                .field("cleanShutdown", info.cleanShutdown())
                .field("entries", s.entries)
                .field("segments", s.segmentCount)
                .field("capacity", s.capacity)
                .field("maxKeySize", s.maxKeySize)
                .field("maxValueSize", s.maxValueSize)
                .field("setMode", 0 == s.maxValueSize)
                .field("maxLoad", s.maxLoad)
                .field("expiry", s.expiry)
                .field("hashSeed", s.hashSeed)
                .field("writeVersion", s.writeVersion)
                .field("rehashingSegments", s.rehashingSegments)
                .field("segmentFiles", s.segmentFiles)
                .field("segmentFileBytes", s.segmentFileBytes)
                .field("logProblem", info.logProblem)
                .endObject());
            return;
        }
        new Fields()
            .add("store", info.directory)
            .add("in use", info.lockedByAnotherProcess ?
                "yes: locked by another process; figures may be changing" : "no")
            .add("shutdown", info.cleanShutdown() ? "clean" : info.lockedByAnotherProcess ?
                "marked open (by the process using it)" : "unclean: recovery runs on the next writable open")
            .add("format", "version 2 (write " + s.writeVersion + ")")
            .add("segments", Text.count(s.segmentCount) + (0 == s.rehashingSegments ? "" : ", " +
                Text.count(s.rehashingSegments) + " rehashing"))
            .add("capacity", Text.count(s.capacity) + " slots")
            .add("max sizes", "key " + s.maxKeySize + " B, value " + s.maxValueSize + " B" +
                (0 == s.maxValueSize ? " (set)" : "") + (s.expiry ? ", with time-to-live" : ""))
            .add("entries", Text.count(s.entries))
            .add("load", Text.ratio(s.capacity == 0 ? 0 : s.entries / (double)s.capacity) + " (max " +
                Text.ratio(s.maxLoad) + ")")
            .add("hash", "XXH3-64, seed " + Text.hex(s.hashSeed))
            .add("segment files", Text.count(s.segmentFiles) + ", " + Text.bytes(s.segmentFileBytes))
            .add("log", null == info.logProblem ? "present" : info.logProblem)
            .print(out);
    }

    private static long entries(final StoreInfo info)
    {
        return info.entries();
    }

    private static StoreInfo.TableInfo source(final StoreInfo info)
    {
        final long generation = info.currentTable().sourceGeneration;
        if (0 == generation)
        {
            return null;
        }
        for (final StoreInfo.TableInfo table : info.tables)
        {
            if (table.generation == generation)
            {
                return table;
            }
        }
        return null;
    }

    private static long fileBytes(final StoreInfo info)
    {
        long total = null == info.log ? 0 : info.log.fileBytes;
        for (final StoreInfo.TableInfo table : info.tables)
        {
            total += table.fileBytes;
        }
        return total;
    }

    private static void text(final StoreInfo info, final PrintWriter out)
    {
        final StoreInfo.TableInfo table = info.currentTable();
        final StoreInfo.TableInfo source = source(info);
        final Fields fields = new Fields()
            .add("store", info.directory)
            .add("in use", info.lockedByAnotherProcess ?
                "yes: locked by another process; figures may be changing" : "no")
            .add("shutdown", info.cleanShutdown() ? "clean" : info.lockedByAnotherProcess ?
                "marked open (by the process using it)" :
                "unclean: recovery runs on the next writable open (`cubby recover`)")
            .add("format", "version " + table.readVersion + " (read " + table.readVersion + ", write " +
                table.writeVersion + ")")
            .add("table", table.file + ", generation " + table.generation + ", created " +
                Text.time(table.createdMillis))
            .add("capacity", Text.count(table.capacity) + " slots")
            .add("slot width", table.slotLength + " bytes (max key " + table.maxKeySize + " B, max value " +
                table.maxValueSize + " B" + (table.expiry ? ", expiry and write times" : "") + ")")
            .add("mode", (table.setMode ? "set" : "map") + (table.expiry ? ", with time-to-live" : ""))
            .add("entries", Text.count(entries(info)) + (null == source ? "" : " (" + Text.count(table.entries) +
                " in " + table.file + ", " + Text.count(source.entries) + " still in " + source.file + ")"))
            .add("tombstones", Text.count(table.tombstones))
            .add("load", Text.ratio(table.load()) + " (max " + Text.ratio(table.maxLoad) + ")")
            .add("probing", Text.lowerName(table.probing))
            .add("hash", table.hashAlgorithm + ", seed " + Text.hex(table.hashSeed))
            .add("rehash", null == source ? (info.rehashInProgress() ? "in progress, source table missing" : "none") :
                "in progress: " + Text.count(table.migrationCursor) + " of " + Text.count(source.capacity) +
                " slots migrated from " + source.file);
        for (final StoreInfo.TableInfo file : info.tables)
        {
            fields.add("file", file.file + " " + Text.bytes(file.fileBytes) +
                (file.openedUncleanly ? ", marked open" : ""));
        }
        if (null != info.log)
        {
            fields.add("file", info.log.file + " " + Text.bytes(info.log.fileBytes));
        }
        fields.add("total size", Text.bytes(fileBytes(info)));
        fields.add("log", null == info.log ? "unreadable: " + info.logProblem : logText(info.log));
        fields.print(out);
    }

    private static String logText(final StoreInfo.LogInfo log)
    {
        final StringBuilder text = new StringBuilder()
            .append(Text.count(log.validRecords)).append(" live record(s)");
        if (!log.recordsByType.isEmpty())
        {
            text.append(" (");
            boolean first = true;
            for (final Map.Entry<String, Integer> type : new TreeMap<>(log.recordsByType).entrySet())
            {
                text.append(first ? "" : ", ").append(type.getKey()).append(' ').append(type.getValue());
                first = false;
            }
            text.append(')');
        }
        text.append(", ").append(Text.count(log.usedBytes)).append(" of ").append(Text.count(log.capacity))
            .append(" bytes used, first sequence ").append(log.firstSequence).append(", tail ")
            .append(null == log.tailProblem ? "clean" : "damaged: " + log.tailProblem);
        return text.toString();
    }

    private static String json(final StoreInfo info)
    {
        final StoreInfo.TableInfo table = info.currentTable();
        final JsonText json = new JsonText().beginObject()
            .field("store", info.directory)
            .field("inUse", info.lockedByAnotherProcess)
            .field("cleanShutdown", info.cleanShutdown())
            .field("rehashInProgress", info.rehashInProgress())
            .field("formatVersion", table.readVersion)
            .field("readVersion", table.readVersion)
            .field("writeVersion", table.writeVersion)
            .field("capacity", table.capacity)
            .field("entries", entries(info))
            .field("tombstones", table.tombstones)
            .field("load", table.load())
            .field("maxLoad", table.maxLoad)
            .field("slotLength", table.slotLength)
            .field("maxKeySize", table.maxKeySize)
            .field("maxValueSize", table.maxValueSize)
            .field("setMode", table.setMode)
            .field("expiry", table.expiry)
            .field("probing", table.probing.name())
            .field("hashAlgorithm", table.hashAlgorithm)
            .field("hashSeed", Text.hex(table.hashSeed))
            .field("totalFileBytes", fileBytes(info));
        json.name("tables").beginArray();
        for (final StoreInfo.TableInfo t : info.tables)
        {
            json.beginObject()
                .field("file", t.file)
                .field("fileBytes", t.fileBytes)
                .field("generation", t.generation)
                .field("readVersion", t.readVersion)
                .field("writeVersion", t.writeVersion)
                .field("capacity", t.capacity)
                .field("entries", t.entries)
                .field("tombstones", t.tombstones)
                .field("slotLength", t.slotLength)
                .field("sourceGeneration", t.sourceGeneration)
                .field("migrationCursor", t.migrationCursor)
                .field("openedUncleanly", t.openedUncleanly)
                .field("createdMillis", t.createdMillis)
                .endObject();
        }
        json.endArray();
        json.name("log");
        if (null == info.log)
        {
            json.value((String)null);
        }
        else
        {
            json.beginObject()
                .field("file", info.log.file)
                .field("fileBytes", info.log.fileBytes)
                .field("capacity", info.log.capacity)
                .field("firstSequence", info.log.firstSequence)
                .field("validRecords", info.log.validRecords)
                .field("usedBytes", info.log.usedBytes)
                .field("tailProblem", info.log.tailProblem)
                .field("recordsByType", info.log.recordsByType)
                .endObject();
        }
        return json.field("logProblem", info.logProblem).endObject().toString();
    }
}
