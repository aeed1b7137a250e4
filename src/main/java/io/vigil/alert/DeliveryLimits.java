package io.vigil.alert;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vigil.config.ChannelConfig;
import io.vigil.delivery.Channel;
import io.vigil.delivery.Channels;
import io.vigil.store.AlertStore.NewDelivery;
import io.vigil.store.HeldBackStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The noise limits on a new alert's deliveries, decided in the transaction that writes the
 * alert, so they hold across restarts and processes:
 *
 * <ul>
 *   <li>over its rule's {@code @max_alerts_per_hour} (the engine decides that), every
 *       delivery that would have gone out is {@code skipped} with reason {@code
 *       rate_limited};
 *   <li>over a channel's {@code max_per_hour} in the current clock hour ({@link ClockHour},
 *       UTC), that channel's delivery is {@code skipped}, {@code rate_limited}; the alert
 *       still goes to its other channels;
 *   <li>to a channel with a {@code digest}, the delivery is {@code held} with reason {@code
 *       digest_pending} until the digest period ends (see {@code delivery.Digests}).
 * </ul>
 *
 * Deliveries already decided otherwise ({@code below_min_severity}, an unknown channel) are
 * left as they are. Each alert held back is counted per channel, hour and rule, for the
 * one "N alerts were held back" notice after the hour ({@code delivery.HeldBackNotices}).
 * Alerts that a channel's cap lets through count towards it whether they go out at once or
 * in a digest. Only new alerts count: acknowledged and resolved notices always go out.
 */
public final class DeliveryLimits {
  public static final String RATE_LIMITED = "rate_limited";
  public static final String DIGEST_PENDING = "digest_pending";

  private final Channels channels;

  public DeliveryLimits(Channels channels) {
    this.channels = channels;
  }

  /** The deliveries to write for a new alert, with the limits applied to those {@code planned} as pending. */
  public Future<List<NewDelivery>> apply(SqlClient tx, RaisedAlert r, List<NewDelivery> planned, Instant now) {
    return apply(tx, r.tenant(), r.rateLimited(), planned, now);
  }

  /**
   * The same for an alert raised earlier and only now delivered (a silence over it ended):
   * the channel caps and digests of the hour it goes out in apply, not its rule's cap.
   */
  public Future<List<NewDelivery>> apply(SqlClient tx, String tenant, List<NewDelivery> planned, Instant now) {
    return apply(tx, tenant, false, planned, now);
  }

  private Future<List<NewDelivery>> apply(
      SqlClient tx, String tenant, boolean ruleCapped, List<NewDelivery> planned, Instant now) {
    Instant hour = ClockHour.of(now).start();
    List<NewDelivery> out = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (NewDelivery d : planned) {
      chain = chain.compose(v -> decide(tx, tenant, ruleCapped, d, hour).map(decided -> {
        out.add(decided);
        return null;
      }));
    }
    return chain.map(v -> out);
  }

  private Future<NewDelivery> decide(SqlClient tx, String tenant, boolean ruleCapped, NewDelivery d, Instant hour) {
    if (!d.status().equals("pending")) {
      return Future.succeededFuture(d);
    }
    if (ruleCapped) {
      return Future.succeededFuture(skipped(d));
    }
    Optional<ChannelConfig.Options> options = channels.get(tenant, d.channel()).map(Channel::options);
    if (options.isEmpty()) {
      return Future.succeededFuture(d);
    }
    int max = options.get().maxPerHour();
    Future<Boolean> admitted = max > 0
        ? HeldBackStore.admit(tx, tenant, d.channel(), hour, max)
        : Future.succeededFuture(true);
    return admitted.map(ok -> {
      if (!ok) {
        return skipped(d);
      }
      return options.get().digest().isPresent() ? new NewDelivery(d.channel(), "held", null, DIGEST_PENDING) : d;
    });
  }

  private static NewDelivery skipped(NewDelivery d) {
    return new NewDelivery(d.channel(), "skipped", null, RATE_LIMITED);
  }

  /**
   * Counts the alert in the held-back totals of every channel it was held back from: under
   * its rule's name when the rule's cap held it, else under the channel's own cap.
   */
  public Future<Void> countHeldBack(SqlClient tx, RaisedAlert r, UUID alertId, List<NewDelivery> written, Instant now) {
    return countHeldBack(tx, r.tenant(), r.rateLimited() ? r.rule() : "", alertId, written, now);
  }

  /** The same for an alert delivered late; {@code rule} is blank when a channel's own cap held it back. */
  public Future<Void> countHeldBack(
      SqlClient tx, String tenant, String rule, UUID alertId, List<NewDelivery> written, Instant now) {
    Instant hour = ClockHour.of(now).start();
    Future<Void> chain = Future.succeededFuture();
    for (NewDelivery d : written) {
      if (RATE_LIMITED.equals(d.reason())) {
        chain = chain.compose(v -> HeldBackStore.hold(tx, tenant, d.channel(), hour, rule, alertId));
      }
    }
    return chain;
  }
}
