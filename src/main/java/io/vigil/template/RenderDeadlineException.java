package io.vigil.template;

import java.io.IOException;

/**
 * A render that did not finish within the deadline and was abandoned: the caller sends the
 * built-in text instead. See {@link Templates} for what the deadline does and does not stop.
 */
public final class RenderDeadlineException extends IOException {
  public RenderDeadlineException(String message) {
    super(message);
  }
}
