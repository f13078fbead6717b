package dev.polardbbackup.app;

public class Main {
  public static void main(String[] args) {}
}
