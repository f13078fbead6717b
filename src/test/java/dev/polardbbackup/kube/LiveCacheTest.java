package dev.polardbbackup.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** A stopped informer's cache is empty, and is never read as "there are no others". */
class LiveCacheTest {
  @Test
  void aRunningCacheIsRead() {
    assertEquals(List.of("a", "b"), LiveCache.list(true, () -> Stream.of("a", "b")).toList());
  }

  @Test
  void aStoppedCacheIsNotReadAsEmpty() {
    assertThrows(LiveCache.StoppedException.class, () -> LiveCache.list(false, Stream::empty));
  }
}
