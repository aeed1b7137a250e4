package io.vigil.delivery;

/** Text handling shared by channels whose receivers limit the length of a field. */
public final class MessageText {
  private MessageText() {}

  /** At most {@code max} characters, ending in "…" when cut, never splitting a surrogate pair (an emoji). */
  public static String cut(String text, int max) {
    if (text.length() <= max) {
      return text;
    }
    int end = max - 1;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + "…";
  }

  /** The first text that is not null or blank, else "". */
  public static String firstNonBlank(String... texts) {
    for (String t : texts) {
      if (t != null && !t.isBlank()) {
        return t;
      }
    }
    return "";
  }
}
