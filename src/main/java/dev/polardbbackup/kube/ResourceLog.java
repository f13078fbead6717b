package dev.polardbbackup.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import org.slf4j.Logger;

/** Log lines about one resource, each prefixed with its namespace/name. */
public final class ResourceLog {
  private ResourceLog() {}

  public static void info(Logger log, HasMetadata resource, String format, Object... args) {
    if (log.isInfoEnabled()) {
      Object[] all = new Object[args.length + 2];
      all[0] = resource.getMetadata().getNamespace();
      all[1] = resource.getMetadata().getName();
      System.arraycopy(args, 0, all, 2, args.length);
      log.info("{}/{}: " + format, all);
    }
  }
}
