package kbench;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java GSS worker: Kerberos Bench's GSS worker protocol (main/gss/protocol.ts) on the JVM's
 * own Kerberos stack, one JVM per Kerberos profile, started by the supervisor with
 *
 *   java -Djava.security.krb5.conf=… -Djava.security.auth.login.config=… -Dsun.security.krb5.debug=true
 *        -Dkbench.trace=FILE -cp CLASSES kbench.GssWorker
 *
 * Requests { id, method, params } come one per line on stdin; answers go one per line to the real
 * stdout (saved before System.out is taken over for the debug lines, see TraceCapture). Calls run
 * one at a time, in order. stdin closing means the supervisor is gone: the worker exits.
 */
public final class GssWorker {
    private static final String TEST_CRASH_FLAG = "KBENCH_GSS_WORKER_TEST_CRASH";

    private GssWorker() {}

    public static void main(String[] args) throws Exception {
        // Taken before anything can print: the protocol's own channel.
        PrintStream protocol = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        TraceCapture trace = TraceCapture.install(System.getProperty("kbench.trace"));
        Gss gss = new Gss();
        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("type", "ready");
        ready.put("pid", ProcessHandle.current().pid());
        ready.put("bindingVersion", "Java " + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vm.vendor") + ")");
        send(protocol, ready);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isBlank()) continue;
            Map<String, Object> answer = answer(gss, trace, line);
            if (answer != null) send(protocol, answer);
        }
        System.exit(0);
    }

    private static void send(PrintStream protocol, Map<String, Object> message) {
        protocol.print(Json.write(message));
        protocol.print('\n');
        protocol.flush();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> answer(Gss gss, TraceCapture trace, String line) throws Exception {
        Map<String, Object> request;
        try {
            request = (Map<String, Object>) Json.parse(line);
        } catch (RuntimeException bad) {
            System.err.println("kbench GSS worker: unreadable request: " + bad.getMessage());
            return null;
        }
        if (!(request.get("id") instanceof Number)) return null;
        long start = trace.size();
        Object value = null;
        Throwable failure = null;
        String method = String.valueOf(request.get("method"));
        List<Object> params = request.get("params") instanceof List ? (List<Object>) request.get("params") : new ArrayList<>();
        try {
            value = method.startsWith("debug") ? debug(gss, method, params) : gss.call(method, params);
        } catch (Throwable thrown) {
            failure = thrown;
        }
        System.out.flush();
        List<String> lines = trace.since(start);
        long end = trace.trim(trace.size());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", ((Number) request.get("id")).longValue());
        if (failure == null) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("value", value);
            result.put("trace", lines);
            out.put("result", result);
        } else {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("message", Errors.describe(failure));
            error.put("kind", failure instanceof Gss.Refused ? "guard" : "gss");
            error.put("trace", lines);
            out.put("error", error);
        }
        out.put("traceEnd", end);
        return out;
    }

    /** Test hooks (worker env KBENCH_GSS_WORKER_TEST_CRASH=1), as in the MIT worker. */
    private static Object debug(Gss gss, String method, List<Object> params) throws Exception {
        if (!"1".equals(System.getenv(TEST_CRASH_FLAG))) {
            throw new Gss.Refused(method + " is a test hook: this worker was not started with " + TEST_CRASH_FLAG + "=1");
        }
        if ("debugCrash".equals(method)) {
            gss.crash(params.isEmpty() ? "host@localhost" : String.valueOf(params.get(0)));
            return null;
        }
        if (!"debugHang".equals(method)) throw new Gss.Refused("unknown GSS worker method " + method);
        long ms = !params.isEmpty() && params.get(0) instanceof Number ? ((Number) params.get(0)).longValue() : 3_600_000L;
        Thread.sleep(ms);
        return null;
    }
}
