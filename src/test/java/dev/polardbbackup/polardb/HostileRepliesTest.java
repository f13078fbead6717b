package dev.polardbbackup.polardb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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
    return clientServing(
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
  }

  private PolarDbClient clientServing(HttpHandler handler) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", handler);
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

  @Test
  void describeBackupsGivesUpOnAnEndpointThatAlwaysEchoesPageOne() throws IOException {
    // Full pages of 100, "page 1 of a million records", whatever page is asked for.
    String items =
        IntStream.range(0, 100)
            .mapToObj(
                i ->
                    "{\"BackupId\":\""
                        + i
                        + "\",\"BackupStatus\":\"Success\",\"BackupMode\":\"Manual\"}")
            .collect(Collectors.joining(","));
    byte[] body =
        ("{\"RequestId\":\"r\",\"PageNumber\":\"1\",\"PageRecordCount\":\"100\","
                + "\"TotalRecordCount\":\"1000000\",\"Items\":{\"Backup\":["
                + items
                + "]}}")
            .getBytes(StandardCharsets.UTF_8);
    List<String> pagesAsked = Collections.synchronizedList(new ArrayList<>());
    PolarDbClient client =
        clientServing(
            exchange -> {
              String query = exchange.getRequestURI().getQuery();
              pagesAsked.add(query.replaceAll(".*PageNumber=([0-9]+).*", "$1"));
              exchange.sendResponseHeaders(200, body.length);
              try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
              }
              exchange.close();
            });

    ApiResult<List<Backup>> result =
        assertTimeoutPreemptively(
            Duration.ofSeconds(30),
            () ->
                client.describeAllBackups(
                    DescribeBackupsQuery.manual(
                        "pc-1",
                        java.time.Instant.now().minusSeconds(60),
                        java.time.Instant.now())));

    assertFalse(result.isOk(), "a listing that never ends must not pass for a complete one");
    assertEquals("TooManyPages", result.error().code(), result.error().describe());
    assertEquals(FailureKind.OUTCOME_UNKNOWN, result.error().kind());
    assertEquals(PolarDbClient.MAX_PAGES, pagesAsked.size());
    assertEquals("2", pagesAsked.get(1), "each next page is the one after the page we asked for");
  }

  @Test
  void describeBackupsStopsAtAShortPageWhateverTheTotalClaims() throws IOException {
    String body =
        "{\"RequestId\":\"r\",\"PageNumber\":\"1\",\"TotalRecordCount\":\"1000000\","
            + "\"Items\":{\"Backup\":[{\"BackupId\":\"7\",\"BackupStatus\":\"Success\"}]}}";
    PolarDbClient client = clientAnswering(200, body, false);

    ApiResult<List<Backup>> result =
        assertTimeoutPreemptively(
            Duration.ofSeconds(30),
            () ->
                client.describeAllBackups(
                    DescribeBackupsQuery.manual(
                        "pc-1",
                        java.time.Instant.now().minusSeconds(60),
                        java.time.Instant.now())));

    assertTrue(result.isOk());
    assertEquals(List.of("7"), result.value().stream().map(Backup::backupId).toList());
  }
}
