package io.cubby.tools;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * How keys and values appear as text: as UTF-8 text, or as base64 of their bytes.
 */
enum Encoding
{
    /** UTF-8 text: arguments are checked strictly (see {@link Arguments}); a dump fails on bytes that are not. */
    UTF8,
    /** Always base64 (RFC 4648, with padding). */
    BASE64;

    /**
     * @param argument a key or value given on the command line.
     * @return its bytes: UTF-8 of the text, or the decoded base64.
     * @throws InputException if the argument is not valid base64, or not valid UTF-8.
     */
    byte[] decode(final String argument)
    {
        return UTF8 == this ? Arguments.utf8(argument) : base64(argument);
    }

    /**
     * @param bytes a key or value.
     * @return the text, or null when this encoding is base64 or the bytes are not valid UTF-8.
     */
    String textOrNull(final byte[] bytes)
    {
        return UTF8 == this ? decodeUtf8(bytes) : null;
    }

    /**
     * @param bytes bytes.
     * @return the text they encode in UTF-8, or null if they are not valid UTF-8.
     */
    static String decodeUtf8(final byte[] bytes)
    {
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        try
        {
            return decoder.decode(ByteBuffer.wrap(bytes)).toString();
        }
        catch (final CharacterCodingException ex)
        {
            return null;
        }
    }

    /**
     * @param text text.
     * @return its UTF-8 bytes.
     * @throws InputException if the text has an unpaired surrogate, which has no UTF-8 encoding.
     */
    static byte[] utf8(final String text)
    {
        final CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        try
        {
            final ByteBuffer bytes = encoder.encode(CharBuffer.wrap(text));
            final byte[] result = new byte[bytes.remaining()];
            bytes.get(result);
            return result;
        }
        catch (final CharacterCodingException ex)
        {
            throw new InputException("text has an unpaired UTF-16 surrogate and cannot be encoded as UTF-8");
        }
    }

    /**
     * @param text base64 text.
     * @return the bytes.
     * @throws InputException if it is not valid base64.
     */
    static byte[] base64(final String text)
    {
        try
        {
            return Base64.getDecoder().decode(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new InputException("invalid base64: " + ex.getMessage());
        }
    }

    /**
     * @param bytes bytes.
     * @return their base64.
     */
    static String toBase64(final byte[] bytes)
    {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
