package kbench.hocon;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Parses one HOCON file with the reference implementation (com.typesafe.config), resolves it, and
 * prints every leaf as JSON on stdout, so the bench checks an EMQX configuration with the parser
 * the HOCON format is defined by instead of a look-alike:
 *
 *   { "entries": [ { "path": "authentication[0].mechanism", "value": "gssapi", "type": "STRING", "line": 2 } ] }
 *   { "error": { "message": "...", "line": 3 } }
 *
 * Usage: java -cp CLASSES:typesafe-config.jar kbench.hocon.HoconCheck FILE. Exit code 0 in both
 * cases (the JSON says which); 2 for a bad command line.
 */
public final class HoconCheck {
    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private HoconCheck() {}

    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (args.length != 1) {
            System.err.println("usage: HoconCheck FILE");
            System.exit(2);
        }
        out.println(check(new File(args[0])));
    }

    static String check(File file) {
        try {
            ConfigParseOptions options = ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false);
            Config config = ConfigFactory.parseFile(file, options).resolve();
            List<String> entries = new ArrayList<>();
            walk(config.root(), "", entries);
            return "{\"entries\":[" + String.join(",", entries) + "]}";
        } catch (ConfigException e) {
            ConfigOrigin origin = e.origin();
            int line = origin == null ? -1 : origin.lineNumber();
            return "{\"error\":{\"message\":" + quote(e.getMessage()) + ",\"line\":" + line + "}}";
        }
    }

    /** Objects by key (sorted: a HOCON object has no order), lists by index; leaves and empty containers become entries. */
    private static void walk(ConfigValue value, String path, List<String> entries) {
        if (value instanceof ConfigObject) {
            ConfigObject object = (ConfigObject) value;
            if (object.isEmpty() && !path.isEmpty()) entries.add(entry(path, "null", "OBJECT", value));
            for (Map.Entry<String, ConfigValue> member : new TreeMap<>(object).entrySet()) {
                walk(member.getValue(), join(path, member.getKey()), entries);
            }
        } else if (value instanceof ConfigList) {
            ConfigList list = (ConfigList) value;
            if (list.isEmpty()) entries.add(entry(path, "null", "LIST", value));
            for (int i = 0; i < list.size(); i++) walk(list.get(i), path + "[" + i + "]", entries);
        } else {
            entries.add(entry(path, scalar(value), value.valueType().name(), value));
        }
    }

    private static String join(String path, String key) {
        String segment = PLAIN_KEY.matcher(key).matches() ? key : quote(key);
        return path.isEmpty() ? segment : path + "." + segment;
    }

    private static String scalar(ConfigValue value) {
        Object raw = value.unwrapped();
        if (raw == null) return "null";
        if (raw instanceof Boolean) return raw.toString();
        if (raw instanceof Number) {
            double d = ((Number) raw).doubleValue();
            return Double.isFinite(d) ? raw.toString() : quote(raw.toString());
        }
        return quote(raw.toString());
    }

    private static String entry(String path, String json, String type, ConfigValue value) {
        ConfigOrigin origin = value.origin();
        int line = origin == null ? -1 : origin.lineNumber();
        return "{\"path\":" + quote(path) + ",\"value\":" + json + ",\"type\":" + quote(type) + ",\"line\":" + line + "}";
    }

    /** A JSON string (RFC 8259 §7). */
    static String quote(String text) {
        StringBuilder b = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
