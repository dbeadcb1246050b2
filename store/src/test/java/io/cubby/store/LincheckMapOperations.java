package io.cubby.store;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;

import java.nio.ByteBuffer;

/**
 * The operations the Lincheck tests check for linearizability against {@link LincheckStoreTest.Spec}, on the
 * store a subclass opens for each scenario run; after each run the store must verify clean.
 */
@Param(name = "key", gen = IntGen.class, conf = "0:5")
@Param(name = "value", gen = IntGen.class, conf = "0:3")
public abstract class LincheckMapOperations
{
    /** The store of this scenario run. */
    protected final Cubby store;

    protected LincheckMapOperations(final Cubby store)
    {
        this.store = store;
    }

    @Operation
    public Integer get(@Param(name = "key") final int key)
    {
        final byte[] value = store.get(encode(key));
        return null == value ? null : ByteBuffer.wrap(value).getInt();
    }

    @Operation
    public boolean put(@Param(name = "key") final int key, @Param(name = "value") final int value)
    {
        return store.put(encode(key), encode(value));
    }

    @Operation
    public boolean remove(@Param(name = "key") final int key)
    {
        return store.remove(encode(key));
    }

    @Operation
    public boolean containsKey(@Param(name = "key") final int key)
    {
        return store.containsKey(encode(key));
    }

    /** After every scenario run: the store is structurally sound. */
    @Validate
    public void storeIsConsistent()
    {
        final VerifyReport report = store.verify();
        if (!report.isOk())
        {
            throw new IllegalStateException("verify after a scenario: " + report + " " + report.problems);
        }
    }

    static byte[] encode(final int value)
    {
        return ByteBuffer.allocate(4).putInt(value).array();
    }
}
