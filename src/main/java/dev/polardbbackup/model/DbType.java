package dev.polardbbackup.model;

/** A PolarDB engine, in CreateDBCluster's spelling. */
public enum DbType {
  MySQL,
  PostgreSQL,
  Oracle
}
