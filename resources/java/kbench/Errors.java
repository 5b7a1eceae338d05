package kbench;

import java.lang.reflect.InvocationTargetException;
import java.security.PrivilegedActionException;

/**
 * Java's own words for a failure: "SimpleName: message" of the exception, then each cause whose
 * text adds something, joined with " ← " (FACTS.md writes them the same way):
 *
 *   LoginException: Unable to obtain password from user
 *   GSSException: Failure unspecified at GSS-API level (Mechanism level: Checksum failed)
 *   LoginException: Connection refused ← ConnectException: Connection refused
 */
final class Errors {
    private static final int MAX_CAUSES = 8;

    private Errors() {}

    static String describe(Throwable thrown) {
        if (thrown instanceof Gss.Refused) return thrown.getMessage();
        StringBuilder out = new StringBuilder();
        Throwable current = unwrap(thrown);
        for (int depth = 0; current != null && depth < MAX_CAUSES; depth++) {
            // Java pads some texts ("Unable to obtain Principal Name for authentication ").
            String message = current.getMessage() == null ? null : current.getMessage().trim();
            String text = current.getClass().getSimpleName() + (message == null || message.isEmpty() ? "" : ": " + message);
            // A cause that only repeats its wrapper's text adds nothing.
            if (depth == 0) out.append(text);
            else if (message == null || !out.toString().contains(message)) out.append(" ← ").append(text);
            Throwable next = unwrap(current.getCause());
            current = next == current ? null : next;
        }
        return out.toString();
    }

    private static Throwable unwrap(Throwable thrown) {
        if (thrown instanceof PrivilegedActionException) return thrown.getCause();
        if (thrown instanceof InvocationTargetException) return thrown.getCause();
        return thrown;
    }
}
