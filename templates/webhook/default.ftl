[${alert.severity?upper_case}] ${alert.summary}
rule: ${alert.rule}<#if alert.key?has_content> · key: ${alert.key}</#if> · occurrences: ${alert.occurrences}
first seen ${alert.first_seen}<#if alert.url??> · ${alert.url}</#if>
