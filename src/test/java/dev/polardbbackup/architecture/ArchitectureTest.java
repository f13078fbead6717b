package dev.polardbbackup.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The folder map in README's Development section, enforced on the main classes: the cloud side
 * knows nothing of Kubernetes, the two lifecycles know nothing of each other, the shared Kubernetes
 * plumbing knows no lifecycle, and no packages form a cycle.
 */
@AnalyzeClasses(
    packages = "dev.polardbbackup",
    importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule theCloudSideKnowsNoKubernetes =
      noClasses()
          .that()
          .resideInAnyPackage(
              "dev.polardbbackup.polardb..",
              "dev.polardbbackup.signing..",
              "dev.polardbbackup.emulator..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("io.fabric8..", "io.javaoperatorsdk..", "dev.polardbbackup.model..");

  @ArchTest
  static final ArchRule lifecyclesDoNotImportEachOther =
      slices()
          .matching("dev.polardbbackup.(backup|schedule|policy|restore)..")
          .should()
          .notDependOnEachOther();

  @ArchTest
  static final ArchRule theKubernetesPlumbingKnowsNoLifecycleAndNoCloud =
      noClasses()
          .that()
          .resideInAPackage("dev.polardbbackup.kube..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "dev.polardbbackup.backup..",
              "dev.polardbbackup.schedule..",
              "dev.polardbbackup.policy..",
              "dev.polardbbackup.restore..",
              "dev.polardbbackup.polardb..",
              "dev.polardbbackup.app..");

  @ArchTest
  static final ArchRule accessToTheCloudKnowsNoLifecycle =
      noClasses()
          .that()
          .resideInAPackage("dev.polardbbackup.access..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "dev.polardbbackup.backup..",
              "dev.polardbbackup.schedule..",
              "dev.polardbbackup.policy..",
              "dev.polardbbackup.restore..",
              "dev.polardbbackup.app..");

  @ArchTest
  static final ArchRule onlyTheAppWiresThingsTogether =
      noClasses()
          .that()
          .resideOutsideOfPackage("dev.polardbbackup.app..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.polardbbackup.app..");

  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching("dev.polardbbackup.(*)..").should().beFreeOfCycles();
}
