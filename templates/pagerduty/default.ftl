${alert.summary} (rule "${alert.rule}"<#if alert.key?has_content>, key ${alert.key}</#if>; ${alert.occurrences} occurrence<#if alert.occurrences != 1>s</#if> since ${alert.first_seen})
