/**
 * Alibaba Cloud OpenAPI request signatures (RPC style): the V1 HMAC-SHA1 query signature and the V3
 * {@code ACS3-HMAC-SHA256} header signature. Pure functions over strings, shared by the PolarDB
 * client (which signs) and the emulator (which verifies), so both sides are held to the same
 * published test vectors. Nothing here knows about HTTP libraries, PolarDB or Kubernetes.
 */
package dev.polardbbackup.signing;
