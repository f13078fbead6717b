package dev.polardbbackup.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar polardb-backup-operator.jar <command>}. */
@Command(
    name = "polardb-backup-operator",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Declarative Alibaba Cloud PolarDB backups for Kubernetes.",
    subcommands = {RunCommand.class, EmulatorCommand.class, ClientBenchmarkCommand.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.setProperty("polardb.logFormat", logFormat(args, System.getenv("LOG_FORMAT")));
    System.exit(commandLine().execute(args));
  }

  /** The log format must be known before the first logger is made, so before picocli runs. */
  static String logFormat(String[] args, String env) {
    String format = env == null ? "plain" : env;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--log-format") && i + 1 < args.length) {
        format = args[i + 1];
      } else if (args[i].startsWith("--log-format=")) {
        format = args[i].substring("--log-format=".length());
      }
    }
    return format;
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    // Bad input: one readable line, not a stack trace or the whole usage text.
    cli.setParameterExceptionHandler(
        (ex, args) -> {
          ex.getCommandLine().getErr().println("error: " + ex.getMessage());
          ex.getCommandLine()
              .getErr()
              .println(
                  "Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
          return 2;
        });
    return cli;
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"polardb-backup-operator " + (v == null ? "dev" : v)};
    }
  }
}
