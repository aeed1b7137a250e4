[${alert.severity}] ${alert.summary} (rule "${alert.rule}", key ${alert.key}, ${alert.occurrences}x)
