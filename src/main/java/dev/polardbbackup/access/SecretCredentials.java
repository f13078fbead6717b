package dev.polardbbackup.access;

import dev.polardbbackup.model.Reasons;
import dev.polardbbackup.polardb.Credentials;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads an access key pair from a Secret. Problems are described by key name only: a value is never
 * quoted, even a broken one.
 */
public final class SecretCredentials {
  static final String ACCESS_KEY_ID = "accessKeyId";
  static final String ACCESS_KEY_SECRET = "accessKeySecret";
  static final String SECURITY_TOKEN = "securityToken";

  /** Either credentials or the reason and message of why there are none. */
  public record Resolved(Optional<Credentials> credentials, String reason, String problem) {
    static Resolved ok(Credentials credentials) {
      return new Resolved(Optional.of(credentials), null, null);
    }

    static Resolved problem(String reason, String problem) {
      return new Resolved(Optional.empty(), reason, problem);
    }
  }

  private SecretCredentials() {}

  public static Resolved from(Optional<Secret> secret, String namespace, String name) {
    String where = "Secret " + namespace + "/" + name;
    if (secret.isEmpty()) {
      return Resolved.problem(
          Reasons.SECRET_NOT_FOUND,
          where + " does not exist; create it with keys accessKeyId and accessKeySecret.");
    }
    Map<String, String> data = secret.get().getData() == null ? Map.of() : secret.get().getData();
    Map<String, String> plain =
        secret.get().getStringData() == null ? Map.of() : secret.get().getStringData();
    List<String> problems = new ArrayList<>();
    String id = value(data, plain, ACCESS_KEY_ID, problems);
    String key = value(data, plain, ACCESS_KEY_SECRET, problems);
    String token =
        data.containsKey(SECURITY_TOKEN) || plain.containsKey(SECURITY_TOKEN)
            ? value(data, plain, SECURITY_TOKEN, problems)
            : null;
    if (!problems.isEmpty()) {
      return Resolved.problem(
          Reasons.SECRET_INVALID, where + ": " + String.join("; ", problems) + ".");
    }
    return Resolved.ok(new Credentials(id, key, Optional.ofNullable(token), where));
  }

  private static String value(
      Map<String, String> data, Map<String, String> plain, String key, List<String> problems) {
    String text;
    if (plain.containsKey(key)) {
      text = plain.get(key);
    } else if (data.containsKey(key)) {
      try {
        text = new String(Base64.getDecoder().decode(data.get(key).trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        problems.add("key " + key + " is not valid base64");
        return null;
      }
    } else {
      problems.add("key " + key + " is missing");
      return null;
    }
    // A trailing newline from `echo` or a file is a common slip; anything else odd is refused.
    text = text == null ? "" : text.strip();
    if (text.isEmpty()) {
      problems.add("key " + key + " is empty");
      return null;
    }
    if (!text.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      problems.add("key " + key + " contains whitespace or non-ASCII characters");
      return null;
    }
    return text;
  }
}
