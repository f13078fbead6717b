package dev.polardbbackup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The ClientToken grammar: minted and parsed by the same class. */
class ClientTokenTest {
  private static final String UID = "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f";

  @Test
  void theFirstTokenIsTheUidAndLaterOnesCountAttempts() {
    assertEquals(UID, ClientToken.first(UID));
    assertEquals(UID + "-2", ClientToken.ofAttempt(UID, 2));
  }

  @Test
  void onlyTokensMintedForThisUidAreItsOwn() {
    assertTrue(ClientToken.isOwnedBy(ClientToken.first(UID), UID));
    assertTrue(ClientToken.isOwnedBy(ClientToken.ofAttempt(UID, 12), UID));
    assertFalse(ClientToken.isOwnedBy(null, UID));
    assertFalse(ClientToken.isOwnedBy(UID + "-", UID), "no attempt number");
    assertFalse(ClientToken.isOwnedBy(UID + "-2x", UID));
    assertFalse(ClientToken.isOwnedBy(UID + "x", UID), "another UID that starts with this one");
    assertFalse(ClientToken.isOwnedBy(UID.substring(1), UID));
    assertFalse(
        ClientToken.isOwnedBy("9f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f-2", UID), "another object's");
  }
}
