/**
 * What both lifecycles use to speak to Kubernetes: status writes with optimistic locking, Events
 * (with names that stay valid for any object name, and a repeat counted on the Event already
 * written), log lines that name the object, and the update filter that lets the pause and
 * force-delete annotations act at once. It knows no PolarDB and no lifecycle.
 */
package dev.polardbbackup.kube;
