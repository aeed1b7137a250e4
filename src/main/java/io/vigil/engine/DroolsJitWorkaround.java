package io.vigil.engine;

import java.lang.reflect.Field;
import org.drools.base.util.Drools;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns off Drools' bytecode jitting of MVEL constraints. In Drools 10.2.0 the jitter emits
 * a call to {@code EvaluatorHelper.initOperators(FactHandle, Tuple, EvaluatorWrapper[])}
 * while the method takes a {@code BaseTuple}; after a constraint with an operator such as
 * {@code str[startsWith]} or {@code before[0s,5m]} has been evaluated 20 times, every
 * further insert throws {@code NoSuchMethodError} (apache/incubator-kie-drools#6711, fixed
 * upstream after 10.2.0). The jitter only runs when Drools believes JMX is available, and
 * the jitting threshold cannot switch it off for good (its counter wraps), so the flag is
 * cleared. Constraints then stay interpreted; simple field comparisons are compiled into
 * alpha nodes either way. Remove this when Drools is upgraded past the fix.
 */
final class DroolsJitWorkaround {
  private static final Logger log = LoggerFactory.getLogger(DroolsJitWorkaround.class);
  private static volatile boolean applied;

  private DroolsJitWorkaround() {}

  static synchronized void apply() {
    if (applied) {
      return;
    }
    try {
      Field f = Drools.class.getDeclaredField("jmxAvailable");
      f.setAccessible(true);
      f.setBoolean(null, false);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.error("cannot switch off Drools constraint jitting; rules using operators such as str[...] or"
          + " temporal operators may fail after 20 evaluations (drools#6711): {}", e.toString());
    }
    applied = true;
  }

  /** True when jitting is off: the check the regression test makes. */
  static boolean jittingOff() {
    return !Drools.isJmxAvailable();
  }
}
