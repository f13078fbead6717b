package dev.polardbbackup.model;

/**
 * The grammar of a PolarDBBackup's CreateBackup ClientTokens, in one place: the first attempt's
 * token is the resource's UID, attempt N's is {@code <uid>-<N>}. A token that does not parse as one
 * of this UID's was not made for this resource.
 */
public final class ClientToken {
  private ClientToken() {}

  /** The token of the first attempt. */
  public static String first(String uid) {
    return uid;
  }

  /** The token of attempt {@code attempt} (2 and later). */
  public static String ofAttempt(String uid, int attempt) {
    return uid + "-" + attempt;
  }

  /**
   * True when {@code token} is one that {@link #first} or {@link #ofAttempt} made for {@code uid}.
   */
  public static boolean isOwnedBy(String token, String uid) {
    if (token == null || uid == null || !token.startsWith(uid)) {
      return false;
    }
    String rest = token.substring(uid.length());
    return rest.isEmpty() || rest.length() > 1 && rest.charAt(0) == '-' && digitsOnly(rest, 1);
  }

  private static boolean digitsOnly(String text, int from) {
    for (int i = from; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
