/**
 * Application wiring: the command line ({@code run}, {@code emulator}), settings parsed once at
 * start-up, and the construction of the operator from the controller, the PolarDB client and the
 * Kubernetes client. The only package that knows all the others.
 */
package dev.polardbbackup.app;
