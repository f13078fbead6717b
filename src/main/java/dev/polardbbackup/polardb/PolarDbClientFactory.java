package dev.polardbbackup.polardb;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import okhttp3.OkHttpClient;

/**
 * Makes clients that share one connection pool: one per region and credential. The endpoint
 * override (the emulator, a VPC endpoint, a proxy) replaces the regional endpoint for all regions.
 */
public final class PolarDbClientFactory {

  private final Optional<URI> endpointOverride;
  private final OkHttpClient http;
  private final Clock clock;
  private final CallListener listener;

  public PolarDbClientFactory(
      Optional<URI> endpointOverride, OkHttpClient http, Clock clock, CallListener listener) {
    this.endpointOverride = endpointOverride;
    // Done once here rather than in every client the factory makes (one per reconcile).
    this.http = RpcTransport.withoutSilentRetries(http);
    this.clock = clock;
    this.listener = listener;
  }

  public PolarDbClient forRegion(String regionId, CredentialsProvider credentials) {
    URI endpoint = endpointOverride.orElseGet(() -> Endpoints.polarDb(regionId));
    return new PolarDbClient(endpoint, credentials, http, clock, listener);
  }

  /** The HTTP client for PolarDB and STS calls: bounded connect and whole-call timeouts. */
  public static OkHttpClient httpClient(Duration connectTimeout, Duration callTimeout) {
    return new OkHttpClient.Builder()
        .connectTimeout(connectTimeout)
        .readTimeout(callTimeout)
        .callTimeout(callTimeout)
        .build();
  }
}
