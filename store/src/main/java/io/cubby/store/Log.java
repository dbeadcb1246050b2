package io.cubby.store;

/**
 * The store's logger, {@code io.cubby.store}, in a class of its own so that it is looked up on the first message:
 * finding the logger initializes the platform's logging (java.util.logging by default), about 15 ms of class
 * loading that an open logging nothing would otherwise pay.
 */
final class Log
{
    static final System.Logger LOGGER = System.getLogger("io.cubby.store");

    private Log()
    {
    }
}
