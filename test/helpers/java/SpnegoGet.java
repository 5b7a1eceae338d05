/*
 * GET a URL with Java's own HttpURLConnection and its built-in SPNEGO (Negotiate) support, the way a
 * Java client of Elasticsearch or a web console signs in. Prints the status on the first line, then
 * the body. Credentials: the ccache in KRB5CCNAME (javax.security.auth.useSubjectCredsOnly=false).
 */
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

public class SpnegoGet {
    public static void main(String[] args) throws Exception {
        HttpURLConnection connection = (HttpURLConnection) new URL(args[0]).openConnection();
        connection.setConnectTimeout(5000);
        connection.setReadTimeout(10000);
        int status = connection.getResponseCode();
        InputStream body = status < 400 ? connection.getInputStream() : connection.getErrorStream();
        System.out.println(status);
        if (body != null) System.out.println(new String(body.readAllBytes(), StandardCharsets.UTF_8));
    }
}
