package io.vigil.engine;

/**
 * A tenant's engine session as the status page and metrics show it: events queued for it,
 * how long the oldest unprocessed one has waited, whether it takes events as they commit
 * ({@code live}) or is reading the journal to catch up, the events it holds in windows, and
 * how many it evicted to stay within {@code engine.max_session_events} (since it was built,
 * not counting its silent replay).
 */
public record SessionStatus(
    String tenant, int queuedEvents, long lagMillis, boolean live, int heldEvents, long evictedEvents) {}
