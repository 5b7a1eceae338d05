package kbench;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Java's Kerberos debug output (sun.security.krb5.debug, sun.security.spnego.debug and the JAAS
 * module's debug=true) goes to System.out and System.err. Both are pointed at the worker's trace
 * file, unbuffered, so a call's lines are on disk even if the JVM dies in the middle of it (the
 * supervisor then reads them from the file, as it does for MIT's KRB5_TRACE). With one call at a
 * time, the bytes appended between a call's start and its end are that call's trace.
 */
final class TraceCapture {
    /** Past this size the file is emptied between calls. */
    private static final long FILE_CAP = 16L * 1024 * 1024;
    /** The most trace text one call returns; a runaway call keeps its last lines. */
    private static final int CALL_CAP = 1024 * 1024;

    private final RandomAccessFile reader;

    private TraceCapture(RandomAccessFile reader) {
        this.reader = reader;
    }

    /** Opens (creates) the trace file and makes it System.out and System.err. */
    static TraceCapture install(String file) throws IOException {
        // Appending, unbuffered: every println is on disk when it returns.
        PrintStream stream = new PrintStream(new FileOutputStream(file, true), true, StandardCharsets.UTF_8);
        System.setOut(stream);
        System.setErr(stream);
        return new TraceCapture(new RandomAccessFile(file, "r"));
    }

    long size() throws IOException {
        return reader.length();
    }

    /** The lines written since `start`, with key material blanked. */
    List<String> since(long start) throws IOException {
        long end = size();
        List<String> lines = new ArrayList<>();
        if (end <= start) return lines;
        long from = Math.max(start, end - CALL_CAP);
        byte[] bytes = new byte[(int) (end - from)];
        reader.seek(from);
        reader.readFully(bytes);
        String[] split = new String(bytes, StandardCharsets.UTF_8).split("\n");
        for (int i = from > start ? 1 : 0; i < split.length; i++) {
            String line = split[i].replace("\r", "");
            if (!line.trim().isEmpty()) lines.add(Redact.line(line));
        }
        return lines;
    }

    /** Between calls only: keeps a long-lived worker's trace file bounded. Returns the new end. */
    long trim(long end) throws IOException {
        if (end < FILE_CAP) return end;
        // The writer appends (O_APPEND), so it carries on at the new end.
        try (RandomAccessFile file = new RandomAccessFile(System.getProperty("kbench.trace"), "rw")) {
            file.setLength(0);
        }
        return 0;
    }
}
