/**
 * The types DRL rules see: {@link io.vigil.rules.Event} (an ingested event),
 * {@link io.vigil.rules.Alert} (an alert raised in this session, a CEP event usable for
 * cooldowns and inhibition) and the {@link io.vigil.rules.Alerts} global that raises alerts.
 * This package is a public contract: rule files outside this repository import it.
 */
package io.vigil.rules;
