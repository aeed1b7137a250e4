package io.vigil.template;

import freemarker.core.ParseException;
import freemarker.core.TemplateElement;
import freemarker.template.Template;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides whether template text may be used: it must parse with the same hardened
 * configuration that renders it ({@link Templates#parse}), and it must not use what the
 * sandbox cannot switch off. Every template goes through here before it is used: an upload
 * before it is written, a file on disk when it is (re)loaded, text sent for a preview.
 *
 * <p>Refused, wherever they appear in the parsed template:
 * <ul>
 *   <li>{@code ?eval} and {@code ?interpret}: FreeMarker 2.3.35 has no setting to turn them
 *       off, so this check is what keeps them out. They would run text built at render time
 *       (from alert data, say) as FTL, where nothing here could look at it first.
 *   <li>{@code ?new} and {@code ?api}: also refused at render time by the configuration
 *       ({@code ALLOWS_NOTHING_RESOLVER}, {@code api_builtin_enabled=false}); refusing them
 *       here says so at upload instead of at the first alert.
 *   <li>{@code #include}, {@code #import} and {@code .get_optional_template}, all of them,
 *       not only paths outside the templates directory: message templates have no need to
 *       load others, and none is simpler to reason about than a path rule. The loader is
 *       confined to the templates directory as well.
 * </ul>
 *
 * <p>The walk looks at each element's canonical form (FreeMarker's normalised source, so
 * {@code x ? new ()} reads {@code x?new()}) minus its children's, skipping static text and
 * comments. It is conservative: a string literal that contains {@code "?eval"} is refused too.
 */
public final class TemplateCheck {
  /** Larger template files are refused before parsing. */
  public static final int MAX_SOURCE_CHARS = 256 * 1024;

  private static final Pattern FORBIDDEN_BUILT_IN = Pattern.compile("\\?\\s*(new|api|eval|interpret)(?![A-Za-z0-9_])");
  private static final Pattern TEMPLATE_LOADING = Pattern.compile("\\.\\s*(get_optional_template|getOptionalTemplate)(?![A-Za-z0-9_])");
  private static final Set<String> STATIC_NODES = Set.of("TextBlock", "Comment");
  private static final Set<String> LOADING_NODES = Set.of("Include", "LibraryLoad");

  private final Templates templates;

  TemplateCheck(Templates templates) {
    this.templates = templates;
  }

  /** A parsed template that passed, or the reasons it did not. */
  public record Result(Template template, List<TemplateError> errors) {
    public boolean ok() {
      return errors.isEmpty();
    }
  }

  /** Parses {@code source} as the file {@code file} ({@code <type>/<name>}) would be, and checks it. */
  public Result check(String file, String source) {
    if (source.length() > MAX_SOURCE_CHARS) {
      return refused(new TemplateError(file, 1, 1, "the template is larger than " + MAX_SOURCE_CHARS / 1024 + " KiB"));
    }
    Template parsed;
    try {
      parsed = templates.parse(file, source);
    } catch (ParseException e) {
      return refused(TemplateError.of(file, e));
    } catch (IOException e) {
      return refused(new TemplateError(file, null, null, e.getMessage()));
    }
    List<TemplateError> errors = new ArrayList<>();
    walk(file, parsed.getRootTreeNode(), errors);
    return errors.isEmpty() ? new Result(parsed, List.of()) : new Result(null, List.copyOf(errors));
  }

  private static Result refused(TemplateError e) {
    return new Result(null, List.of(e));
  }

  private static void walk(String file, TemplateElement element, List<TemplateError> errors) {
    if (element == null || STATIC_NODES.contains(element.getNodeName())) {
      return;
    }
    if (LOADING_NODES.contains(element.getNodeName())) {
      errors.add(new TemplateError(file, element.getBeginLine(), element.getBeginColumn(),
          (element.getNodeName().equals("Include") ? "#include" : "#import")
              + " is not allowed in templates: a message template cannot load other templates"));
    }
    String own = element.getCanonicalForm();
    for (int i = 0; i < element.getChildCount(); i++) {
      TemplateElement child = (TemplateElement) element.getChildAt(i);
      String childForm = child.getCanonicalForm();
      int at = childForm.isEmpty() ? -1 : own.indexOf(childForm);
      if (at >= 0) {
        own = own.substring(0, at) + own.substring(at + childForm.length());
      }
      walk(file, child, errors);
    }
    report(file, element, own, FORBIDDEN_BUILT_IN, name -> "?" + name + " is not allowed in templates", errors);
    report(file, element, own, TEMPLATE_LOADING,
        name -> "." + name + " is not allowed in templates: a message template cannot load other templates", errors);
  }

  /**
   * One error per use in the element's own canonical form, placed at the same use in its
   * source (the canonical form has lost the original spacing and positions), or at the
   * element when the source spells it in a way the pattern does not see.
   */
  private static void report(
      String file, TemplateElement element, String own, Pattern pattern, Function<String, String> message,
      List<TemplateError> errors) {
    Matcher uses = pattern.matcher(own);
    if (!uses.find()) {
      return;
    }
    List<String> names = new ArrayList<>();
    List<int[]> places = new ArrayList<>();
    String source = element.getSource() == null ? "" : element.getSource();
    Matcher m = pattern.matcher(source);
    int line = element.getBeginLine();
    int column = element.getBeginColumn();
    int scanned = 0;
    while (m.find()) {
      for (; scanned < m.start(); scanned++) {
        if (source.charAt(scanned) == '\n') {
          line++;
          column = 1;
        } else {
          column++;
        }
      }
      if (!inChild(element, line, column)) {
        names.add(m.group(1));
        places.add(new int[] {line, column});
      }
    }
    do {
      String name = uses.group(1);
      int i = names.indexOf(name);
      int[] place = i < 0 ? new int[] {element.getBeginLine(), element.getBeginColumn()} : places.get(i);
      if (i >= 0) {
        names.set(i, null);
      }
      errors.add(new TemplateError(file, place[0], place[1], message.apply(name)));
    } while (uses.find());
  }

  private static boolean inChild(TemplateElement element, int line, int column) {
    for (int i = 0; i < element.getChildCount(); i++) {
      if (((TemplateElement) element.getChildAt(i)).contains(column, line)) {
        return true;
      }
    }
    return false;
  }
}
