package kbench;

import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.security.auth.Subject;
import org.ietf.jgss.GSSContext;
import org.ietf.jgss.GSSCredential;
import org.ietf.jgss.GSSException;
import org.ietf.jgss.GSSManager;
import org.ietf.jgss.GSSName;
import org.ietf.jgss.MessageProp;
import org.ietf.jgss.Oid;

/**
 * The worker's calls on Java GSS (org.ietf.jgss), answering with the value shapes of
 * main/gss/types.ts: { handle }, GssClientStep, GssServerStep, { token }, { data }. Tokens are
 * base64 both ways. Like the MIT worker, an established acceptor is released at once.
 */
final class Gss {
    static final Oid KRB5 = oid("1.2.840.113554.1.2.2");
    static final Oid SPNEGO = oid("1.3.6.1.5.5.2");
    /** GSS_KRB5_NT_PRINCIPAL_NAME: "service/host@REALM" used as written (RFC 1964 §2.1.1). */
    static final Oid KRB5_PRINCIPAL_NAME = oid("1.2.840.113554.1.2.2.1");
    /** GSS_C_*_FLAG bits (RFC 2744) the initiator may ask for. */
    static final int DELEG = 1, MUTUAL = 2, REPLAY = 4, SEQUENCE = 8, CONF = 16, INTEG = 32;
    /** What the MIT binding asks for when the caller gives no flags. */
    static final int DEFAULT_FLAGS = MUTUAL | SEQUENCE;
    static final int MAX_CONTEXTS = 4096;

    private static final class Context {
        final boolean initiator;
        final GSSContext gss;
        final Subject subject;
        /** An acceptor for any keytab principal: its targetName is reported. */
        final boolean anyName;

        Context(boolean initiator, GSSContext gss, Subject subject, boolean anyName) {
            this.initiator = initiator;
            this.gss = gss;
            this.subject = subject;
            this.anyName = anyName;
        }
    }

    private final GSSManager manager = GSSManager.getInstance();
    private final Logins logins = new Logins();
    private final Map<String, Context> contexts = new HashMap<>();
    private int nextContext = 1;

    private static Oid oid(String dotted) {
        try {
            return new Oid(dotted);
        } catch (GSSException e) {
            throw new IllegalStateException(e);
        }
    }

    Object call(String method, List<Object> params) throws Exception {
        switch (method) {
            case "createClient": return createClient(string(params, 0), options(params, 1));
            case "createServer": return createServer(string(params, 0));
            case "clientStep": return clientStep(context(params, true), bytes(params, 1));
            case "clientWrap": return clientWrap(context(params, true), bytes(params, 1), Boolean.TRUE.equals(options(params, 2).get("protect")));
            case "clientUnwrap": return clientUnwrap(context(params, true), bytes(params, 1));
            case "serverStep": return serverStep(string(params, 0), context(params, false), bytes(params, 1));
            case "release": return release(string(params, 0));
            default: throw new Refused("unknown GSS worker method " + method);
        }
    }

    private Object createClient(String service, Map<String, Object> options) throws Exception {
        room();
        Oid mech = "spnego".equals(options.get("mech")) ? SPNEGO : KRB5;
        int flags = options.get("flags") instanceof Number ? ((Number) options.get("flags")).intValue() : DEFAULT_FLAGS;
        String principal = (String) options.get("principal");
        Subject subject = logins.initiator();
        GSSContext context = Logins.as(subject, () -> {
            Oid nameType = "principal".equals(options.get("nameType")) ? KRB5_PRINCIPAL_NAME : GSSName.NT_HOSTBASED_SERVICE;
            GSSName target = manager.createName(service, nameType);
            GSSCredential credential = principal == null ? null
                    : manager.createCredential(manager.createName(principal, GSSName.NT_USER_NAME), GSSCredential.DEFAULT_LIFETIME, mech, GSSCredential.INITIATE_ONLY);
            GSSContext created = manager.createContext(target, mech, credential, GSSContext.DEFAULT_LIFETIME);
            created.requestCredDeleg((flags & DELEG) != 0);
            created.requestMutualAuth((flags & MUTUAL) != 0);
            created.requestReplayDet((flags & REPLAY) != 0);
            created.requestSequenceDet((flags & SEQUENCE) != 0);
            created.requestConf((flags & CONF) != 0);
            created.requestInteg((flags & INTEG) != 0);
            return created;
        });
        return remember(new Context(true, context, subject, false));
    }

    private Object createServer(String service) throws Exception {
        room();
        Subject subject = logins.acceptor();
        GSSContext context = Logins.as(subject, () -> {
            GSSName name = service.isEmpty() ? null : manager.createName(service, GSSName.NT_HOSTBASED_SERVICE);
            // Both mechanisms: the acceptor takes a raw krb5 token or a SPNEGO one, as MIT's does.
            GSSCredential credential = manager.createCredential(name, GSSCredential.INDEFINITE_LIFETIME, new Oid[] {KRB5, SPNEGO}, GSSCredential.ACCEPT_ONLY);
            return manager.createContext(credential);
        });
        return remember(new Context(false, context, subject, service.isEmpty()));
    }

    private Object clientStep(Context context, byte[] challenge) throws Exception {
        byte[] token = Logins.as(context.subject, () -> context.gss.initSecContext(challenge, 0, challenge.length));
        boolean complete = context.gss.isEstablished();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("response", base64(token));
        out.put("complete", complete);
        out.put("principal", complete ? context.gss.getSrcName().toString() : null);
        return out;
    }

    private Object serverStep(String handle, Context context, byte[] token) throws Exception {
        byte[] response = Logins.as(context.subject, () -> context.gss.acceptSecContext(token, 0, token.length));
        boolean complete = context.gss.isEstablished();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("response", base64(response));
        out.put("complete", complete);
        out.put("username", complete ? context.gss.getSrcName().toString() : null);
        out.put("targetName", complete && context.anyName ? context.gss.getTargName().toString() : null);
        if (complete) release(handle);
        return out;
    }

    private Object clientWrap(Context context, byte[] data, boolean protect) throws Exception {
        byte[] token = Logins.as(context.subject, () -> context.gss.wrap(data, 0, data.length, new MessageProp(0, protect)));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("token", base64(token));
        return out;
    }

    private Object clientUnwrap(Context context, byte[] token) throws Exception {
        byte[] data = Logins.as(context.subject, () -> context.gss.unwrap(token, 0, token.length, new MessageProp(0, false)));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("data", base64(data));
        return out;
    }

    private Object release(String handle) {
        Context context = contexts.remove(handle);
        if (context != null) {
            try {
                context.gss.dispose();
            } catch (GSSException ignored) {
                // nothing left to free
            }
        }
        return null;
    }

    /** Test hook: an initiator stepped (so the trace has lines), then the JVM stops dead. */
    void crash(String service) {
        try {
            String handle = (String) ((Map<?, ?>) createClient(service, new HashMap<>())).get("handle");
            clientStep(contexts.get(handle), new byte[0]);
        } catch (Exception ignored) {
            // the trace lines are what this is for
        }
        Runtime.getRuntime().halt(134);
    }

    // ---- helpers ----

    private void room() throws Refused {
        if (contexts.size() >= MAX_CONTEXTS) throw new Refused("this GSS worker already holds " + MAX_CONTEXTS + " contexts: release the ones you are done with");
    }

    private Map<String, Object> remember(Context context) {
        String handle = (context.initiator ? "c" : "s") + nextContext++;
        contexts.put(handle, context);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("handle", handle);
        return out;
    }

    private Context context(List<Object> params, boolean initiator) throws Refused {
        Object handle = params.isEmpty() ? null : params.get(0);
        Context context = handle instanceof String ? contexts.get(handle) : null;
        if (context == null) throw new Refused("no GSS context " + handle + " in this worker (released, or never created here)");
        if (context.initiator != initiator) {
            throw new Refused("context " + handle + " is an " + (context.initiator ? "initiator" : "acceptor") + "; this call needs an " + (initiator ? "initiator" : "acceptor"));
        }
        return context;
    }

    private static String string(List<Object> params, int index) throws Refused {
        Object value = params.size() > index ? params.get(index) : null;
        if (!(value instanceof String)) throw new Refused("parameter " + index + " must be a string");
        return (String) value;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> options(List<Object> params, int index) {
        Object value = params.size() > index ? params.get(index) : null;
        return value instanceof Map ? (Map<String, Object>) value : new HashMap<>();
    }

    private static byte[] bytes(List<Object> params, int index) throws Refused {
        try {
            return Base64.getDecoder().decode(string(params, index));
        } catch (IllegalArgumentException bad) {
            throw new Refused("parameter " + index + " is not base64: " + bad.getMessage());
        }
    }

    private static String base64(byte[] bytes) {
        return bytes == null ? "" : Base64.getEncoder().encodeToString(bytes);
    }

    /** A call refused before it reached Java GSS (kind 'guard'). */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }
}
