/**
 * Sharding: several operator processes, each reconciling a disjoint part of the resources. All the
 * resources of one PolarDB cluster carry the same bucket label (a stable hash of region and cluster
 * id, {@link dev.polardbbackup.shard.Shard#LABEL}), and a shard reconciles the buckets it owns, so
 * the per-cluster rules (one CreateBackup at a time, the quota queue) stay inside one process. A
 * guard in front of every reconcile hands a wrongly labelled resource to its owner and holds all
 * work while a Lease of another shard count is alive, so that a resize never lets two layouts act
 * at once.
 */
package dev.polardbbackup.shard;
