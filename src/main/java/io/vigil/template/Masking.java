package io.vigil.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hides sensitive values from rendered messages, which leave Vigil for mailboxes and chat
 * rooms: the value of any field whose name contains one of the sensitive words (password,
 * secret, token, ...) becomes {@code ****}, and card numbers (13 to 19 digits passing the
 * Luhn check) anywhere in text keep only their last four digits. On by default
 * ({@code templates.mask_sensitive}); the words are {@code templates.sensitive_fields}.
 */
public record Masking(boolean enabled, List<String> words) {
  public static final List<String> DEFAULT_WORDS = List.of(
      "password", "passwd", "secret", "token", "authorization", "api_key", "apikey", "cookie", "private_key",
      "credential");
  public static final Masking DEFAULT = new Masking(true, DEFAULT_WORDS);
  public static final String MASK = "****";
  private static final Pattern CARD = Pattern.compile("(?<![0-9])(?:[0-9][ -]?){12,18}[0-9](?![0-9])");

  public Masking {
    words = words.stream().map(w -> w.toLowerCase(Locale.ROOT)).toList();
  }

  /** A masked deep copy of plain JSON-like data (maps, lists, strings, numbers). */
  @SuppressWarnings("unchecked")
  public Object apply(Object value) {
    if (!enabled) {
      return value;
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), sensitive(String.valueOf(k)) && v != null ? MASK : apply(v)));
      return out;
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      list.forEach(v -> out.add(apply(v)));
      return out;
    }
    if (value instanceof String s) {
      return maskCards(s);
    }
    return value;
  }

  private boolean sensitive(String field) {
    String f = field.toLowerCase(Locale.ROOT);
    for (String w : words) {
      if (f.contains(w)) {
        return true;
      }
    }
    return false;
  }

  static String maskCards(String s) {
    if (s.length() < 13) {
      return s;
    }
    Matcher m = CARD.matcher(s);
    StringBuilder out = null;
    int last = 0;
    while (m.find()) {
      String digits = m.group().replaceAll("[ -]", "");
      if (digits.length() < 13 || digits.length() > 19 || !luhn(digits)) {
        continue;
      }
      if (out == null) {
        out = new StringBuilder();
      }
      out.append(s, last, m.start()).append("**** **** **** ").append(digits.substring(digits.length() - 4));
      last = m.end();
    }
    return out == null ? s : out.append(s.substring(last)).toString();
  }

  private static boolean luhn(String digits) {
    int sum = 0;
    boolean dbl = false;
    for (int i = digits.length() - 1; i >= 0; i--) {
      int d = digits.charAt(i) - '0';
      if (dbl) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      dbl = !dbl;
    }
    return sum % 10 == 0;
  }
}
