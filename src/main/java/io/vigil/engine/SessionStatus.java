package io.vigil.engine;

/**
 * A tenant's engine session as the status page and metrics show it: events queued for it,
 * how long the oldest unprocessed one has waited, and whether it takes events as they
 * commit ({@code live}) or is reading the journal to catch up.
 */
public record SessionStatus(String tenant, int queuedEvents, long lagMillis, boolean live) {}
