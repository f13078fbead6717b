package dev.polardbbackup.kube;

import dev.polardbbackup.model.PolarDBBackup;
import dev.polardbbackup.model.PolarDBBackupSchedule;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Map;
import java.util.Objects;

/**
 * Which updates of a resource wake its controller: a spec change (a new generation), the start of
 * deletion, a change of finalizers, or a change of the pause, force-delete or (on a schedule)
 * backup-now annotation. Those are metadata, which JOSDK's generation-aware filter would ignore
 * until the next timed pass, so a paused object would resume late and a stuck deletion would not
 * let go when told to. Status writes (ours, or another replica's) do not wake it. Both controllers
 * use it: backups and schedules (a schedule has no finalizer and no force-delete annotation, so
 * only its spec, pause and backup-now count).
 */
public final class SpecOrLifecycleChange implements OnUpdateFilter<HasMetadata> {

  @Override
  public boolean accept(HasMetadata newResource, HasMetadata oldResource) {
    var now = newResource.getMetadata();
    var before = oldResource.getMetadata();
    return generation(now.getGeneration()) > generation(before.getGeneration())
        || newResource.isMarkedForDeletion() != oldResource.isMarkedForDeletion()
        || !Objects.equals(now.getFinalizers(), before.getFinalizers())
        || changed(now.getAnnotations(), before.getAnnotations(), PolarDBBackup.PAUSED_ANNOTATION)
        || changed(
            now.getAnnotations(), before.getAnnotations(), PolarDBBackup.FORCE_DELETE_ANNOTATION)
        || changed(
            now.getAnnotations(),
            before.getAnnotations(),
            PolarDBBackupSchedule.BACKUP_NOW_ANNOTATION);
  }

  private static long generation(Long g) {
    return g == null ? 0 : g;
  }

  private static boolean changed(
      Map<String, String> now, Map<String, String> before, String annotation) {
    return !Objects.equals(
        now == null ? null : now.get(annotation), before == null ? null : before.get(annotation));
  }
}
