package io.cubby.store;

/**
 * Probe sequence used to resolve collisions, chosen at creation and stored in the table header.
 */
public enum Probing
{
    /** Slots home, home+1, home+2, ... Best locality; the default. */
    LINEAR(1),
    /** Triangular steps: home, home+1, home+3, home+6, ... Visits every slot of a power-of-two table. */
    QUADRATIC(2),
    /** Steps of an odd stride derived from the upper hash bits. Visits every slot of a power-of-two table. */
    DOUBLE_HASHING(3);

    private final int code;

    Probing(final int code)
    {
        this.code = code;
    }

    /**
     * @return the code stored in the table header.
     */
    public int code()
    {
        return code;
    }

    static Probing fromCode(final int code)
    {
        for (final Probing probing : values())
        {
            if (probing.code == code)
            {
                return probing;
            }
        }
        return null;
    }
}
