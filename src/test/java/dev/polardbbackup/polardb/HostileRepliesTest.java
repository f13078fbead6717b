package dev.polardbbackup.polardb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Replies no honest PolarDB sends: broken JSON, truncated bodies, missing or unexpected fields. The
 * client must classify each clearly and never invent a value; for CreateBackup an unreadable 2xx is
 * an unknown outcome (retry with the same ClientToken), never a success.
 */
class HostileRepliesTest {
  private HttpServer server;

  private PolarDbClient clientAnswering(int status, String body, boolean truncate)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          // A truncated body: announce more bytes than are sent, then close.
          exchange.sendResponseHeaders(status, truncate ? bytes.length + 100 : bytes.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
          } catch (IOException ignored) {
            // the client may hang up first
          }
          exchange.close();
        });
    server.start();
    return new PolarDbClient(
        URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
        CredentialsProvider.of(Credentials.of("LTAIkey", "secret", "test")),
        PolarDbClientFactory.httpClient(Duration.ofSeconds(2), Duration.ofSeconds(2)),
        Clock.systemUTC(),
        CallListener.NONE);
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "not JSON                 | 200 | <html>gateway</html>                      | false | OUTCOME_UNKNOWN | MalformedReply",
        "JSON array               | 200 | [1,2,3]                                   | false | OUTCOME_UNKNOWN | MalformedReply",
        "missing BackupJobId      | 200 | {\"RequestId\":\"r1\"}                    | false | OUTCOME_UNKNOWN | MalformedReply",
        "empty BackupJobId        | 200 | {\"RequestId\":\"r1\",\"BackupJobId\":\"\"} | false | OUTCOME_UNKNOWN | MalformedReply",
        "truncated body           | 200 | {\"RequestId\":\"r1\",\"Backup             | true  | OUTCOME_UNKNOWN | Timeout",
        "2xx carrying an error    | 200 | {\"Code\":\"BackupTimesExceeded\",\"Message\":\"m\"} | false | QUOTA_EXHAUSTED | BackupTimesExceeded",
        "5xx with HTML            | 502 | <html>bad gateway</html>                  | false | TRANSIENT       | HTTP502",
        "4xx with no body         | 400 | ''                                        | false | INVALID_REQUEST | HTTP400",
      })
  void createBackupNeverMistakesAHostileReplyForSuccess(
      String what, int status, String body, boolean truncate, FailureKind kind, String code)
      throws IOException {
    ApiResult<String> result =
        clientAnswering(status, body, truncate).createBackup("pc-1", "token");

    assertFalse(result.isOk(), what);
    assertEquals(kind, result.error().kind(), what + ": " + result.error().describe());
    assertEquals(code, result.error().code(), what);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unexpected fields are ignored | {\"RequestId\":\"r\",\"BackupJobId\":\"42\",\"NewField\":{\"x\":[1]}} | 42",
        "numbers instead of strings    | {\"RequestId\":\"r\",\"BackupJobId\":42}                            | 42",
      })
  void createBackupToleratesHarmlessSurprises(String what, String body, String jobId)
      throws IOException {
    assertEquals(jobId, clientAnswering(200, body, false).createBackup("pc-1", "t").value(), what);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "missing Items on an empty page | {\"RequestId\":\"r\",\"TotalRecordCount\":\"0\"}                                   | 0",
        "single object instead of list  | {\"Items\":{\"Backup\":{\"BackupId\":\"7\",\"BackupStatus\":\"Success\",\"BackupMode\":\"Manual\"}}} | 1",
        "numbers as numbers             | {\"Items\":{\"Backup\":[{\"BackupId\":\"7\",\"BackupSetSize\":123,\"ConsistentTime\":1700000000}]},\"TotalRecordCount\":1} | 1",
      })
  void describeBackupsReadsOddButValidShapes(String what, String body, int count)
      throws IOException {
    ApiResult<List<Backup>> result =
        clientAnswering(200, body, false)
            .describeAllBackups(
                DescribeBackupsQuery.manual(
                    "pc-1", java.time.Instant.now().minusSeconds(60), java.time.Instant.now()));
    assertTrue(result.isOk(), what);
    assertEquals(count, result.value().size(), what);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "backup without BackupId | {\"Items\":{\"Backup\":[{\"BackupStatus\":\"Success\"}]}}",
      })
  void describeBackupsRefusesEntriesItCannotIdentify(String what, String body) throws IOException {
    ApiResult<List<Backup>> result =
        clientAnswering(200, body, false)
            .describeAllBackups(
                DescribeBackupsQuery.manual(
                    "pc-1", java.time.Instant.now().minusSeconds(60), java.time.Instant.now()));
    assertFalse(result.isOk(), what);
    assertEquals(FailureKind.OUTCOME_UNKNOWN, result.error().kind());
    assertEquals(Optional.empty(), result.error().retryAfter());
  }
}
