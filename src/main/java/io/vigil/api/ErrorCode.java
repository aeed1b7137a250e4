package io.vigil.api;

/**
 * Every error the API answers, with its stable code and HTTP status, in one place. Clients
 * branch on the code; the message is for people.
 */
public enum ErrorCode {
  INVALID_JSON(400),
  INVALID_EVENT(400),
  INVALID_REQUEST(400),
  INVALID_RULE(422),
  INVALID_POLICY(422),
  INVALID_TEMPLATE(422),
  INVALID_REGEX(422),
  UNAUTHORIZED(401),
  FORBIDDEN(403),
  NOT_FOUND(404),
  METHOD_NOT_ALLOWED(405),
  CONFLICT(409),
  BODY_TOO_LARGE(413),
  UNSUPPORTED_MEDIA_TYPE(415),
  RATE_LIMITED(429),
  INTERNAL(500),
  UNAVAILABLE(503);

  private final int status;

  ErrorCode(int status) {
    this.status = status;
  }

  public int status() {
    return status;
  }

  /** The snake_case code written in responses, e.g. {@code invalid_event}. */
  public String code() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
