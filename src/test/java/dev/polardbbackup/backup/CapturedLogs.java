package dev.polardbbackup.backup;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * What this JVM logs through Log4j while it is open: one text per event, the logger, the formatted
 * message and, for an event with a throwable, its whole stack trace with causes (an exception
 * message the framework logs counts as logged).
 *
 * <p>Each instance owns its own in-memory appender on the root logger and removes it on {@link
 * #close()}; two open at once each see every event, so tests running side by side never take each
 * other's lines away. What reaches the root logger is what the test configuration lets through:
 * everything of {@code dev.polardbbackup} (DEBUG and TRACE too, see log4j2-test.xml) and WARN and
 * above of the libraries.
 */
final class CapturedLogs implements AutoCloseable {
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final LoggerContext context;
  private final Appender appender;

  private CapturedLogs() {
    context = (LoggerContext) LogManager.getContext(false);
    appender = new Appender("captured-" + UUID.randomUUID(), lines);
    appender.start();
    context.getConfiguration().getRootLogger().addAppender(appender, Level.ALL, null);
    context.updateLoggers();
  }

  /** Starts capturing now. */
  static CapturedLogs open() {
    return new CapturedLogs();
  }

  /** Every event captured so far, oldest first. */
  List<String> lines() {
    return List.copyOf(lines);
  }

  /** The captured lines that contain {@code text}. */
  List<String> linesContaining(String text) {
    return lines.stream().filter(l -> l.contains(text)).toList();
  }

  /** Forgets what was captured so far; capturing goes on. */
  void clear() {
    lines.clear();
  }

  @Override
  public void close() {
    context.getConfiguration().getRootLogger().removeAppender(appender.getName());
    context.updateLoggers();
    appender.stop();
  }

  private static final class Appender extends AbstractAppender {
    private final List<String> sink;

    Appender(String name, List<String> sink) {
      super(name, null, null, true, Property.EMPTY_ARRAY);
      this.sink = sink;
    }

    @Override
    public void append(LogEvent event) {
      StringBuilder text =
          new StringBuilder()
              .append(event.getLevel())
              .append(' ')
              .append(event.getLoggerName())
              .append(" - ")
              .append(event.getMessage().getFormattedMessage());
      Throwable thrown = event.getThrown();
      if (thrown != null) {
        StringWriter trace = new StringWriter();
        thrown.printStackTrace(new PrintWriter(trace));
        text.append('\n').append(trace);
      }
      sink.add(text.toString());
    }
  }
}
