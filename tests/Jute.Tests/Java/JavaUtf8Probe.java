// Reads hex byte strings, one a line, and prints each as Java decodes it: new String(bytes, UTF_8), in UTF-16 hex.
// Run with `java JavaUtf8Probe.java` (source launch); JavaUtf8Tests compares ZkGateway.Jute.JavaUtf8 with it.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

public class JavaUtf8Probe {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        for (String line; (line = in.readLine()) != null; ) {
            byte[] bytes = new byte[line.length() / 2];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) Integer.parseInt(line.substring(2 * i, 2 * i + 2), 16);
            }
            for (char c : new String(bytes, StandardCharsets.UTF_8).toCharArray()) {
                out.append(String.format("%04x", (int) c));
            }
            out.append('\n');
        }
        System.out.print(out);
    }
}
