package dev.polardbbackup.model;

/** A day of the week, spelled as PolarDB's backup periods spell it. */
public enum Weekday {
  Monday,
  Tuesday,
  Wednesday,
  Thursday,
  Friday,
  Saturday,
  Sunday
}
