package io.cubby.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.agrona.concurrent.UnsafeBuffer;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * Which kernel's page cache holds a store's files, and which manifest file (FORMAT-v2.md 3.1, Writer Identity):
 * the boot ID of the running Linux kernel and the device and inode of {@code manifest.cubby}.
 * <p>
 * A writer records it once the files are consistent (a new store, a clean reopen's first change, the end of a
 * recovery). Every later change is a store to a shared mapping or a positional write, so it is in the page cache
 * the moment it is made and survives the writer's death for as long as the kernel runs; a kill therefore leaves
 * every segment whose sequence word is even exactly as its last bracket left it. A recovery that finds the same
 * identity knows the kernel did not restart (no power loss, no OS crash: those give a new boot ID) and that the
 * files are the ones written (a copy has another inode), so it scans only the segments a writer was changing
 * (FORMAT-v2.md 8.5 step 2). Where the identity cannot be read (another OS, no {@code /proc}, a file system
 * without inode numbers) there is none, and recovery scans every slot as before.
 */
final class WriterIdentity
{
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    private WriterIdentity()
    {
    }

    /**
     * @return the identity of the running kernel and this manifest file ({@link
     *         ManifestDescriptor#WRITER_IDENTITY_LENGTH} bytes, never all zero), or null if it cannot be read.
     */
    static byte[] of(final Path manifestFile)
    {
        final byte[] boot = bootId();
        if (null == boot)
        {
            return null;
        }
        final long device;
        final long inode;
        try
        {
            final Map<String, Object> attributes = Files.readAttributes(manifestFile, "unix:dev,ino");
            device = ((Number)attributes.get("dev")).longValue();
            inode = ((Number)attributes.get("ino")).longValue();
        }
        catch (final IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException |
            NullPointerException ex)
        {
            return null;
        }
        if (0 == inode)
        {
            return null;
        }
        final byte[] identity = new byte[ManifestDescriptor.WRITER_IDENTITY_LENGTH];
        final UnsafeBuffer b = new UnsafeBuffer(identity);
        final int base = ManifestDescriptor.WRITER_IDENTITY_OFFSET;
        b.putBytes(ManifestDescriptor.WRITER_BOOT_ID_OFFSET - base, boot);
        b.putLong(ManifestDescriptor.MANIFEST_DEVICE_OFFSET - base, device, LITTLE_ENDIAN);
        b.putLong(ManifestDescriptor.MANIFEST_INODE_OFFSET - base, inode, LITTLE_ENDIAN);
        return identity;
    }

    /** The kernel's boot ID: 16 bytes from its 36-character UUID text, or null. */
    static byte[] bootId()
    {
        final String text;
        try
        {
            text = new String(Files.readAllBytes(BOOT_ID), StandardCharsets.US_ASCII).trim();
        }
        catch (final IOException | SecurityException | UnsupportedOperationException ex)
        {
            return null;
        }
        return parseBootId(text);
    }

    static byte[] parseBootId(final String text)
    {
        final String hex = text.replace("-", "");
        if (text.length() != 36 || hex.length() != 32)
        {
            return null;
        }
        final byte[] boot = new byte[ManifestDescriptor.BOOT_ID_LENGTH];
        for (int i = 0; i < boot.length; i++)
        {
            final int high = Character.digit(hex.charAt(2 * i), 16);
            final int low = Character.digit(hex.charAt(2 * i + 1), 16);
            if (high < 0 || low < 0)
            {
                return null;
            }
            boot[i] = (byte)(high << 4 | low);
        }
        boolean zero = true;
        for (final byte b : boot)
        {
            zero &= 0 == b;
        }
        return zero ? null : boot;
    }

    /** Whether two identities name the same kernel boot and manifest file (null never matches). */
    static boolean same(final byte[] a, final byte[] b)
    {
        return null != a && null != b && Arrays.equals(a, b);
    }
}
