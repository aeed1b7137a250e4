package io.vigil.bench;

/**
 * The four ways of writing "N events per key within a window, then a cooldown" that the
 * engine benchmark sets side by side (issue 7's idioms table). Each writes the same
 * brute-force shape: 5 events of one type from one IP within 1 minute, 10-minute cooldown.
 * {@code ThresholdIdiomTest} checks that they raise the same alerts.
 */
enum ThresholdIdiom {
  /** A trigger event, {@code not Alert ... over window:time}, and an accumulate per trigger. */
  OBVIOUS_ACCUMULATE {
    @Override
    String when(String rule, String type) {
      return "    $e : Event(type == \"" + type + "\", $ip : ip != null)\n"
          + "    not Alert(rule == \"" + rule + "\", key == $ip) over window:time(10m)\n"
          + "    Number(intValue >= 5) from accumulate(\n"
          + "        Event(type == \"" + type + "\", ip == $ip) over window:time(1m), count(1))\n";
    }
  },
  /** Keyed {@code groupby} over the window, as the shipped brute-force rule. */
  KEYED_GROUPBY {
    @Override
    String when(String rule, String type) {
      return "    groupby( $f : Event(type == \"" + type + "\", ip != null) over window:time(1m);\n"
          + "             $ip : $f.getIp();\n"
          + "             $n : count();\n"
          + "             $n >= 5 )\n"
          + "    not Alert(rule == \"" + rule + "\", key == $ip) over window:time(10m)\n";
    }
  },
  /**
   * A counter fact per rule and key, kept by rules: each event adds one and leaves a marker
   * whose timer takes the one away when the window has passed. The helper patterns
   * constrain only the counter's rule and key, so (Drools being property reactive) changing
   * the count re-runs neither them nor the timers; the threshold rule constrains the count.
   */
  COUNTER_FACTS {
    @Override
    String declarations() {
      return "declare Count\n    rule : String\n    ip : String\n    n : int\nend\n\n"
          + "declare Counted\n    rule : String\n    ip : String\nend\n\n";
    }

    @Override
    String helpers(String rule, String type) {
      return "rule \"" + rule + ": first of a key\" salience 10\nwhen\n"
          + "    Event(type == \"" + type + "\", $ip : ip != null)\n"
          + "    not Count(rule == \"" + rule + "\", ip == $ip)\n"
          + "then\n    insert(new Count(\"" + rule + "\", $ip, 0));\nend\n\n"
          + "rule \"" + rule + ": count\" salience 5\nwhen\n"
          + "    Event(type == \"" + type + "\", $ip : ip != null)\n"
          + "    $c : Count(rule == \"" + rule + "\", ip == $ip)\n"
          + "then\n    modify($c) { setN($c.getN() + 1) }\n"
          + "    insert(new Counted(\"" + rule + "\", $ip));\nend\n\n"
          + "rule \"" + rule + ": window passed\" timer (int: 1m)\nwhen\n"
          + "    $m : Counted(rule == \"" + rule + "\", $ip : ip)\n"
          + "    $c : Count(rule == \"" + rule + "\", ip == $ip)\n"
          + "then\n    modify($c) { setN($c.getN() - 1) }\n    delete($m);\nend\n\n";
    }

    @Override
    String when(String rule, String type) {
      return "    Count(rule == \"" + rule + "\", n >= 5, $ip : ip)\n"
          + "    not Alert(rule == \"" + rule + "\", key == $ip) over window:time(10m)\n";
    }
  },
  /** Vigil's {@code thresholds.hit(...)} global inside the trigger pattern. */
  VIGIL_THRESHOLDS {
    @Override
    String when(String rule, String type) {
      return "    $e : Event(type == \"" + type + "\", $ip : ip != null,\n"
          + "               thresholds.hit(\"" + rule + "\", ip, this, 5, \"1m\", \"10m\"))\n";
    }
  };

  abstract String when(String rule, String type);

  /** Types the idiom declares; none but the counter's. */
  String declarations() {
    return "";
  }

  /** Rules that keep the idiom's own facts for one threshold rule; none but the counter's. */
  String helpers(String rule, String type) {
    return "";
  }

  /**
   * 100 filter rules ({@code f0..f99}, matching an event type with severity critical) and 10
   * threshold rules ({@code t0..t9}) written in this idiom, all in one file.
   */
  String ruleFile() {
    StringBuilder b = new StringBuilder("package bench;\nimport io.vigil.rules.Event;\nimport io.vigil.rules.Alert;\n"
        + "global io.vigil.rules.Alerts alerts;\nglobal io.vigil.rules.Thresholds thresholds;\n\n" + declarations());
    for (int i = 0; i < 100; i++) {
      b.append("rule \"filter ").append(i).append("\" @channels(\"audit-log\")\nwhen\n")
          .append("    $e : Event(type == \"f").append(i).append("\", severity == \"critical\")\n")
          .append("then\n    alerts.raise(kcontext, $e.getId());\nend\n\n");
    }
    for (int j = 0; j < 10; j++) {
      String rule = "threshold " + j;
      b.append(helpers(rule, "t" + j));
      b.append("rule \"").append(rule).append("\" @channels(\"audit-log\")\nwhen\n").append(when(rule, "t" + j))
          .append("then\n    alerts.raise(kcontext, $ip);\nend\n\n");
    }
    return b.toString();
  }
}
