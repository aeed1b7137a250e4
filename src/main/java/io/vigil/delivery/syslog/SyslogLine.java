package io.vigil.delivery.syslog;

import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One RFC 5424 syslog message, {@code <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
 * [vigil@32473 id=".." rule=".." key=".." severity=".." fingerprint=".."] MSG}. Header
 * fields hold printable US-ASCII only and keep their RFC length limits ("-" when empty);
 * structured-data values are escaped as PARAM-VALUE requires ({@code "}, {@code \} and
 * {@code ]} get a backslash) and cut to {@value #MAX_PARAM_CHARS} characters, so the
 * header and structured data always fit a UDP datagram and only MSG is ever truncated,
 * never inside a UTF-8 character. MSG is the rendered text as UTF-8 without the optional
 * BOM; trailing whitespace (a template's last line break) is dropped.
 */
record SyslogLine(int priority, Instant timestamp, String hostname, long procId, String msgId,
    Map<String, String> structuredData, String msg) {
  static final String APP_NAME = "vigil";
  /** 32473 is the private enterprise number RFC 5612 reserves for documentation. */
  static final String SD_ID = "vigil@32473";
  static final int MAX_PARAM_CHARS = 256;
  private static final List<String> ALERT_PARAMS = List.of("id", "rule", "key", "severity", "fingerprint");
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneOffset.UTC);
  private static final Map<String, Integer> FACILITIES = Map.ofEntries(
      Map.entry("kern", 0), Map.entry("user", 1), Map.entry("mail", 2), Map.entry("daemon", 3),
      Map.entry("auth", 4), Map.entry("syslog", 5), Map.entry("lpr", 6), Map.entry("news", 7),
      Map.entry("uucp", 8), Map.entry("cron", 9), Map.entry("authpriv", 10), Map.entry("ftp", 11),
      Map.entry("ntp", 12), Map.entry("security", 13), Map.entry("console", 14), Map.entry("solaris-cron", 15),
      Map.entry("local0", 16), Map.entry("local1", 17), Map.entry("local2", 18), Map.entry("local3", 19),
      Map.entry("local4", 20), Map.entry("local5", 21), Map.entry("local6", 22), Map.entry("local7", 23));

  /** The message for one alert notice; {@code facility} is a code from {@link #facility}. */
  static SyslogLine of(int facility, String event, JsonObject alert, String text, Instant at, String hostname,
      long procId) {
    Map<String, String> sd = new LinkedHashMap<>();
    for (String p : ALERT_PARAMS) {
      Object v = alert.getValue(p);
      sd.put(p, v == null ? "" : v.toString());
    }
    return new SyslogLine(facility * 8 + severity(alert.getString("severity")), at, hostname, procId, event, sd,
        text.stripTrailing());
  }

  /**
   * The message for a digest or a held-back notice, MSGID the event: structured data {@code
   * count} and the period ({@code period_start, period_end}) or the limit ({@code limit,
   * rule, hour_start, hour_end}). A digest takes the severity of its most severe alert; a
   * notice is a notice (5).
   */
  static SyslogLine ofBatch(int facility, String event, JsonObject batch, String text, Instant at, String hostname,
      long procId) {
    Map<String, String> sd = new LinkedHashMap<>();
    sd.put("count", String.valueOf(batch.getValue("count")));
    List<String> params = batch.containsKey("period_start")
        ? List.of("period_start", "period_end")
        : List.of("limit", "rule", "hour_start", "hour_end");
    for (String p : params) {
      Object v = batch.getValue(p);
      sd.put(p, v == null ? "" : v.toString());
    }
    io.vertx.core.json.JsonArray alerts = batch.getJsonArray("alerts", new io.vertx.core.json.JsonArray());
    int severity = alerts.isEmpty() ? 5 : 7;
    for (Object a : alerts) {
      severity = Math.min(severity, severity(((JsonObject) a).getString("severity")));
    }
    return new SyslogLine(facility * 8 + severity, at, hostname, procId, event, sd, text.stripTrailing());
  }

  /** A facility name (auth, local0, ...) or its number, 0 to 23. */
  static int facility(String nameOrNumber) {
    String f = nameOrNumber.trim().toLowerCase(Locale.ROOT);
    Integer code = FACILITIES.get(f);
    if (code != null) {
      return code;
    }
    try {
      int n = Integer.parseInt(f);
      if (n >= 0 && n <= 23) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("unknown syslog facility '" + nameOrNumber + "'");
  }

  /**
   * The syslog severity of an alert severity: emergency 0, critical 2, high 3 (error),
   * medium 4 (warning), low 5 (notice), info 6. Syslog's 1 (alert) and 7 (debug) have no
   * alert severity; an unknown one is sent as 5 (notice).
   */
  static int severity(String alertSeverity) {
    if (alertSeverity == null) {
      return 5;
    }
    return switch (alertSeverity.toLowerCase(Locale.ROOT)) {
      case "emergency" -> 0;
      case "critical" -> 2;
      case "high" -> 3;
      case "medium" -> 4;
      case "low" -> 5;
      case "info" -> 6;
      default -> 5;
    };
  }

  /**
   * This host's name for HOSTNAME, or "-" (the NILVALUE) when it cannot be found. Looked
   * up once per process: the lookup may wait on DNS, and channels can be built on an
   * event loop.
   */
  static String localHostName() {
    return LocalHost.NAME;
  }

  private static final class LocalHost {
    static final String NAME = lookUp();

    private static String lookUp() {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (Exception e) {
        return "-";
      }
    }
  }

  /** Everything before MSG, ending with the space that separates it from MSG. */
  String head() {
    StringBuilder b = new StringBuilder(256)
        .append('<').append(priority).append(">1 ")
        .append(TIMESTAMP.format(timestamp)).append(' ')
        .append(headerField(hostname, 255)).append(' ')
        .append(APP_NAME).append(' ')
        .append(headerField(Long.toString(procId), 128)).append(' ')
        .append(headerField(msgId, 32)).append(' ')
        .append('[').append(SD_ID);
    structuredData.forEach((name, value) -> b.append(' ').append(name).append("=\"").append(paramValue(value)).append('"'));
    return b.append("] ").toString();
  }

  /** The whole message as UTF-8, at most {@code maxBytes} long, MSG cut if needed. */
  byte[] encode(int maxBytes) {
    byte[] head = head().getBytes(StandardCharsets.UTF_8);
    byte[] body = msg.getBytes(StandardCharsets.UTF_8);
    int room = Math.max(0, maxBytes - head.length);
    int keep = body.length <= room ? body.length : utf8Boundary(body, room);
    byte[] out = new byte[head.length + keep];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(body, 0, out, head.length, keep);
    return out;
  }

  byte[] encode() {
    return encode(Integer.MAX_VALUE);
  }

  /** The longest prefix no longer than {@code limit} that does not split a character. */
  private static int utf8Boundary(byte[] bytes, int limit) {
    int cut = limit;
    while (cut > 0 && (bytes[cut] & 0xC0) == 0x80) {
      cut--;
    }
    return cut;
  }

  /** PRINTUSASCII (33 to 126), at most {@code max} long; "-" when empty. */
  static String headerField(String value, int max) {
    if (value == null || value.isEmpty()) {
      return "-";
    }
    StringBuilder b = new StringBuilder(Math.min(value.length(), max));
    for (int i = 0; i < value.length() && b.length() < max; i++) {
      char c = value.charAt(i);
      b.append(c >= 33 && c <= 126 ? c : '_');
    }
    return b.toString();
  }

  /** RFC 5424 §6.3.3: '"', '\' and ']' are escaped with a backslash. */
  static String paramValue(String value) {
    String v = value;
    if (v.length() > MAX_PARAM_CHARS) {
      int end = Character.isHighSurrogate(v.charAt(MAX_PARAM_CHARS - 1)) ? MAX_PARAM_CHARS - 1 : MAX_PARAM_CHARS;
      v = v.substring(0, end);
    }
    StringBuilder b = new StringBuilder(v.length() + 8);
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '"' || c == '\\' || c == ']') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }
}
