package io.cubby.store;

/**
 * Converts keys or values of a {@link CubbyMap} to and from bytes. Encodings must be deterministic: equal objects
 * must encode to equal bytes, or lookups miss.
 *
 * @param <T> the Java type.
 */
public interface Codec<T>
{
    /**
     * @param value a non-null object.
     * @return its encoding.
     */
    byte[] encode(T value);

    /**
     * @param bytes an encoding produced by {@link #encode(Object)}.
     * @return the decoded object.
     */
    T decode(byte[] bytes);

    /**
     * @return the Java type, used to reject foreign objects in {@code Map} methods taking {@code Object}.
     */
    Class<T> type();
}
