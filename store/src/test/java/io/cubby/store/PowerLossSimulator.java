package io.cubby.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Tracks, through the {@link FileEvents} hook, what of a store directory is on disk, and produces the images a
 * power cut can leave (SQLite's crash VFS, RocksDB's fault-injection file system, for a memory-mapped store):
 * <ul>
 *   <li>the durable content of each file (by inode) is what it held when the last force covering each byte began;
 *       a page that differs from it now is dirty;</li>
 *   <li>the durable directory is the listing at its last directory force; a file created, renamed or deleted
 *       since may or may not be so after the cut;</li>
 *   <li>an image keeps or reverts each dirty page, or, torn, each 512-byte sector of it.</li>
 * </ul>
 * The all-kept image is what a process kill leaves; the all-reverted one what only the completed forces promise.
 */
final class PowerLossSimulator implements FileEvents
{
    static final int PAGE = 4096;
    static final int SECTOR = 512;

    /** How an image treats what is not yet durable. */
    enum Choice
    {
        ALL_KEPT, ALL_REVERTED, RANDOM_PAGES, RANDOM_SECTORS
    }

    /** One file of an image. */
    record ImageFile(String name, byte[] content)
    {
    }

    private final Path directory;
    private final Map<Object, byte[]> durableContent = new HashMap<>();
    /** Forces in progress, by file and forcing thread: two threads may force one file at once (ranges differ). */
    private final Map<List<Object>, Pending> pending = new HashMap<>();
    private Map<String, Object> durableNames = new HashMap<>();

    private record Pending(long offset, byte[] bytes)
    {
    }

    PowerLossSimulator(final Path directory)
    {
        this.directory = directory.toAbsolutePath().normalize();
    }

    boolean concerns(final Path file)
    {
        return file.toAbsolutePath().normalize().startsWith(directory);
    }

    @Override
    public void forcing(final Path file, final long offset, final long length)
    {
        if (!concerns(file))
        {
            return;
        }
        synchronized (this)
        {
            final Object key = fileKey(file);
            if (null == key)
            {
                return;
            }
            final byte[] now = read(file);
            final int from = (int)Math.min(now.length, offset);
            final int to = (int)Math.min(now.length, length == WHOLE_FILE ? now.length : offset + length);
            pending.put(List.of(key, Thread.currentThread()), new Pending(from, Arrays.copyOfRange(now, from, to)));
        }
    }

    @Override
    public void forced(final Path file, final long offset, final long length)
    {
        if (!concerns(file))
        {
            return;
        }
        synchronized (this)
        {
            final Object key = fileKey(file);
            final Pending forced = null == key ? null : pending.remove(List.of(key, Thread.currentThread()));
            if (null == forced)
            {
                return;
            }
            final long size = size(file);
            byte[] durable = durableContent.get(key);
            if (null == durable || durable.length != size)
            {
                durable = null == durable ? new byte[(int)size] : Arrays.copyOf(durable, (int)size);
            }
            System.arraycopy(forced.bytes, 0, durable, (int)forced.offset,
                (int)Math.min(forced.bytes.length, size - forced.offset));
            durableContent.put(key, durable);
        }
    }

    @Override
    public void directoryForced(final Path dir)
    {
        if (!concerns(dir))
        {
            return;
        }
        synchronized (this)
        {
            durableNames = listing();
            // content of files neither listed now nor durably can never reappear (and their inode may be reused)
            final Map<String, Object> now = listing();
            durableContent.keySet().removeIf(key -> !now.containsValue(key) && !durableNames.containsValue(key));
        }
    }

    /**
     * The images a power cut at this instant can leave, one per choice, random ones drawn from {@code random}.
     */
    synchronized List<List<ImageFile>> images(final List<Choice> choices, final Random random)
    {
        final Map<String, Object> now = listing();
        final Map<Object, byte[]> current = new HashMap<>();
        for (final Map.Entry<String, Object> entry : now.entrySet())
        {
            current.put(entry.getValue(), read(directory.resolve(entry.getKey())));
        }
        final List<List<ImageFile>> images = new ArrayList<>();
        for (final Choice choice : choices)
        {
            images.add(image(choice, random, now, current));
        }
        return images;
    }

    private List<ImageFile> image(
        final Choice choice, final Random random, final Map<String, Object> now, final Map<Object, byte[]> current)
    {
        // Directory entries: for each file, its current name, its durable name, or (created or deleted since the
        // last directory force) present or not.
        final Map<Object, String> nowByKey = invert(now);
        final Map<Object, String> durableByKey = invert(durableNames);
        final Map<String, Object> names = new LinkedHashMap<>();
        final List<Object> keys = new ArrayList<>(nowByKey.keySet());
        for (final Object key : durableByKey.keySet())
        {
            if (!nowByKey.containsKey(key))
            {
                keys.add(key);
            }
        }
        for (final Object key : keys)
        {
            final String nowName = nowByKey.get(key);
            final String durableName = durableByKey.get(key);
            final String name;
            if (null != nowName && nowName.equals(durableName))
            {
                name = nowName;
            }
            else if (choice == Choice.ALL_KEPT)
            {
                name = nowName;
            }
            else if (choice == Choice.ALL_REVERTED)
            {
                name = durableName;
            }
            else
            {
                name = random.nextBoolean() ? nowName : durableName;
            }
            if (null != name && !names.containsKey(name))
            {
                names.put(name, key);
            }
        }
        final List<ImageFile> files = new ArrayList<>();
        for (final Map.Entry<String, Object> entry : names.entrySet())
        {
            final Object key = entry.getValue();
            final byte[] live = current.get(key);
            final byte[] durable = durableContent.get(key);
            files.add(new ImageFile(entry.getKey(), content(choice, random, live, durable)));
        }
        return files;
    }

    private static byte[] content(final Choice choice, final Random random, final byte[] live, final byte[] durable)
    {
        if (null == live)
        {
            // deleted since, and the deletion undone: only what was forced survives
            return null == durable ? new byte[0] : durable.clone();
        }
        final byte[] base = null == durable ? new byte[live.length] : Arrays.copyOf(durable, live.length);
        if (choice == Choice.ALL_REVERTED)
        {
            return base;
        }
        if (choice == Choice.ALL_KEPT)
        {
            return live.clone();
        }
        final byte[] image = base;
        for (int page = 0; page < live.length; page += PAGE)
        {
            final int end = Math.min(live.length, page + PAGE);
            if (Arrays.equals(live, page, end, image, page, end))
            {
                continue;
            }
            if (choice == Choice.RANDOM_PAGES)
            {
                if (random.nextBoolean())
                {
                    System.arraycopy(live, page, image, page, end - page);
                }
            }
            else
            {
                for (int sector = page; sector < end; sector += SECTOR)
                {
                    if (random.nextBoolean())
                    {
                        System.arraycopy(live, sector, image, sector, Math.min(end, sector + SECTOR) - sector);
                    }
                }
            }
        }
        return image;
    }

    /**
     * Write an image into an empty directory.
     */
    static void write(final List<ImageFile> image, final Path target) throws IOException
    {
        Files.createDirectories(target);
        for (final ImageFile file : image)
        {
            Files.write(target.resolve(file.name()), file.content());
        }
    }

    private Map<String, Object> listing()
    {
        final Map<String, Object> names = new HashMap<>();
        try (Stream<Path> files = Files.list(directory))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                final Object key = fileKey(file);
                if (null != key && !file.getFileName().toString().equals(StoreLock.FILE_NAME))
                {
                    names.put(file.getFileName().toString(), key);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return names;
    }

    private static Map<Object, String> invert(final Map<String, Object> names)
    {
        final Map<Object, String> inverted = new HashMap<>();
        names.forEach((name, key) -> inverted.put(key, name));
        return inverted;
    }

    private static Object fileKey(final Path file)
    {
        try
        {
            final BasicFileAttributes attributes =
                Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return attributes.isRegularFile() ? attributes.fileKey() : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    private static byte[] read(final Path file)
    {
        try
        {
            return Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            return new byte[0];
        }
    }

    private static long size(final Path file)
    {
        try
        {
            return Files.size(file);
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }
}
