package dev.polardbbackup.app;

import java.util.concurrent.CountDownLatch;

/** Keeps a long-running command alive until SIGTERM or SIGINT, then closes what it runs. */
final class UntilSignalled {
  private final CountDownLatch stopped = new CountDownLatch(1);

  UntilSignalled(String name, AutoCloseable running) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    running.close();
                  } catch (Exception e) {
                    System.err.println(name + ": error while stopping: " + e.getMessage());
                  } finally {
                    stopped.countDown();
                  }
                },
                name + "-shutdown"));
  }

  void await() throws InterruptedException {
    stopped.await();
  }
}
