package kbench;

import java.util.regex.Pattern;

/**
 * Key material never leaves the worker: debug lines that print key bytes (EncryptionKey's
 * "keyValue (hex dump)=", session keys, raw key dumps) keep their label and lose the bytes.
 */
final class Redact {
    private static final Pattern KEY_BYTES = Pattern.compile("(?i)((?:key ?value|key ?bytes|session ?key|subkey|keyvalue)[^=:\\n]{0,40}[=:]\\s*)(\\[?[0-9a-f]{2}(?:[ :]?[0-9a-f]{2}){7,}\\]?)");

    private Redact() {}

    static String line(String line) {
        return KEY_BYTES.matcher(line).replaceAll("$1[redacted]");
    }
}
