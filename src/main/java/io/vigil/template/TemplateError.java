package io.vigil.template;

import freemarker.core.ParseException;
import freemarker.template.TemplateException;

/**
 * One thing wrong with a template: the file it is in ({@code <channel type>/<file>}), where
 * (line and column from 1; null when the problem has no place, such as a render that ran
 * out of time), and what, in words for the person who wrote the template.
 */
public record TemplateError(String file, Integer line, Integer column, String message) {

  /** The error a failed parse or render stands for. */
  public static TemplateError of(String file, Throwable e) {
    if (e instanceof ParseException p) {
      return new TemplateError(file, p.getLineNumber(), p.getColumnNumber(), firstParagraph(p.getEditorMessage()));
    }
    if (e instanceof TemplateException t) {
      return new TemplateError(file, t.getLineNumber(), t.getColumnNumber(),
          firstParagraph(t.getMessageWithoutStackTop()));
    }
    return new TemplateError(file, null, null, e.getMessage() == null ? e.toString() : e.getMessage());
  }

  /** {@code file:line:column: message}, as logged. */
  public String describe() {
    return file + (line == null ? "" : ":" + line + ":" + column) + ": " + message;
  }

  // FreeMarker appends tips and stack excerpts after a "----" line; the first part says what is wrong.
  private static String firstParagraph(String message) {
    if (message == null) {
      return "invalid template";
    }
    int cut = message.indexOf("\n----");
    return (cut < 0 ? message : message.substring(0, cut)).strip();
  }
}
