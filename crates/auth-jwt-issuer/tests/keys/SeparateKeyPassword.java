// Copies the key under ALIAS from a PKCS#12 store into a new PKCS#12 store whose key is
// encrypted with KEY_PASSWORD while the store itself uses STORE_PASSWORD.
// Used by generate.sh: java SeparateKeyPassword IN STORE_PASSWORD ALIAS OUT KEY_PASSWORD
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;

public class SeparateKeyPassword {
    public static void main(String[] args) throws Exception {
        char[] storePassword = args[1].toCharArray();
        KeyStore in = KeyStore.getInstance("PKCS12");
        try (FileInputStream stream = new FileInputStream(args[0])) {
            in.load(stream, storePassword);
        }
        Key key = in.getKey(args[2], storePassword);
        Certificate[] chain = in.getCertificateChain(args[2]);
        KeyStore out = KeyStore.getInstance("PKCS12");
        out.load(null, null);
        out.setKeyEntry("separate", key, args[4].toCharArray(), chain);
        try (FileOutputStream stream = new FileOutputStream(args[3])) {
            out.store(stream, storePassword);
        }
    }
}
