package io.vigil.bench;

/**
 * The three ways of writing "N events per key within a window, then a cooldown" that the
 * engine benchmark sets side by side (issue 7's idioms table). Each writes the same
 * brute-force shape: 5 events of one type from one IP within 1 minute, 10-minute cooldown.
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
  /** Vigil's {@code thresholds.hit(...)} global inside the trigger pattern. */
  VIGIL_THRESHOLDS {
    @Override
    String when(String rule, String type) {
      return "    $e : Event(type == \"" + type + "\", $ip : ip != null,\n"
          + "               thresholds.hit(\"" + rule + "\", ip, this, 5, \"1m\", \"10m\"))\n";
    }
  };

  abstract String when(String rule, String type);

  /**
   * 100 filter rules ({@code f0..f99}, matching an event type with severity critical) and 10
   * threshold rules ({@code t0..t9}) written in this idiom, all in one file.
   */
  String ruleFile() {
    StringBuilder b = new StringBuilder("package bench;\nimport io.vigil.rules.Event;\nimport io.vigil.rules.Alert;\n"
        + "global io.vigil.rules.Alerts alerts;\nglobal io.vigil.rules.Thresholds thresholds;\n\n");
    for (int i = 0; i < 100; i++) {
      b.append("rule \"filter ").append(i).append("\" @channels(\"audit-log\")\nwhen\n")
          .append("    $e : Event(type == \"f").append(i).append("\", severity == \"critical\")\n")
          .append("then\n    alerts.raise(kcontext, $e.getId());\nend\n\n");
    }
    for (int j = 0; j < 10; j++) {
      String rule = "threshold " + j;
      b.append("rule \"").append(rule).append("\" @channels(\"audit-log\")\nwhen\n").append(when(rule, "t" + j))
          .append("then\n    alerts.raise(kcontext, $ip);\nend\n\n");
    }
    return b.toString();
  }
}
