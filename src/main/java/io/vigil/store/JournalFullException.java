package io.vigil.store;

/** The journal's queue is full: the caller should answer 503 with Retry-After. */
public final class JournalFullException extends RuntimeException {
  public JournalFullException() {
    super("the event journal is at capacity", null, false, false);
  }
}
