package io.cubby.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes a byte stream as strict UTF-8 (no overlong forms, no encoded surrogates, nothing truncated), handing out
 * every character before the first malformed byte before it fails with {@link MalformedException} naming that
 * byte's line. ({@link java.io.InputStreamReader} fails as soon as its read-ahead meets the byte, losing the lines
 * before it and their numbers.)
 */
final class StrictUtf8Reader extends Reader
{
    /** The input is not valid UTF-8 at {@link #line}. */
    static final class MalformedException extends IOException
    {
        private static final long serialVersionUID = 1L;

        final long line;

        MalformedException(final long line)
        {
            super("input is not valid UTF-8 on line " + line);
            this.line = line;
        }
    }

    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteBuffer bytes = ByteBuffer.allocate(8192).flip();
    /** Line of the next character handed out. */
    private long line = 1;
    private boolean endOfInput;
    private boolean flushed;
    private MalformedException failure;

    StrictUtf8Reader(final InputStream in)
    {
        this.in = in;
    }

    @Override
    public int read(final char[] chars, final int offset, final int length) throws IOException
    {
        if (null != failure)
        {
            throw failure;
        }
        if (0 == length)
        {
            return 0;
        }
        final CharBuffer out = CharBuffer.wrap(chars, offset, length);
        while (out.position() == offset && null == failure && !flushed)
        {
            final CoderResult result = decoder.decode(bytes, out, endOfInput);
            if (result.isError())
            {
                failure = new MalformedException(line + newlines(chars, offset, out.position()));
            }
            else if (result.isUnderflow())
            {
                if (endOfInput)
                {
                    decoder.flush(out);
                    flushed = true;
                }
                else
                {
                    fill();
                }
            }
            else
            {
                break; // overflow: out is full
            }
        }
        final int produced = out.position() - offset;
        if (0 == produced)
        {
            if (null != failure)
            {
                throw failure;
            }
            return -1;
        }
        line += newlines(chars, offset, out.position());
        return produced;
    }

    private void fill() throws IOException
    {
        bytes.compact();
        final int read = in.read(bytes.array(), bytes.position(), bytes.remaining());
        if (read < 0)
        {
            endOfInput = true;
        }
        else
        {
            bytes.position(bytes.position() + read);
        }
        bytes.flip();
    }

    private static int newlines(final char[] chars, final int from, final int to)
    {
        int count = 0;
        for (int i = from; i < to; i++)
        {
            if ('\n' == chars[i])
            {
                count++;
            }
        }
        return count;
    }

    @Override
    public void close() throws IOException
    {
        in.close();
    }
}
