package dev.polardbbackup.backup;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A mock API server for one controller test, strict as a real one ({@link StrictMockServer}: a
 * stale status write gets 409), and its client. After the test it closes the test's operator (whose
 * close checks that no secret leaked), then the client and the server.
 */
public final class MockKubernetes implements AfterEachCallback {
  public final KubernetesMockServer server = StrictMockServer.start();
  public final KubernetesClient client = server.createClient();
  private final Supplier<OperatorHarness> operator;

  /** {@code operator}: the test's current operator, if it started one. */
  public MockKubernetes(Supplier<OperatorHarness> operator) {
    this.operator = operator;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    OperatorHarness harness = operator.get();
    try {
      if (harness != null) {
        harness.close();
      }
    } finally {
      client.close();
      StrictMockServer.stop(server);
    }
  }
}
