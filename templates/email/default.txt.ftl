<#if event == "alert.resolved">Resolved: <#elseif event == "alert.acknowledged">Acknowledged: <#elseif event == "alert.repeated">Still active: <#elseif event == "test">Test message from Vigil: </#if>${alert.summary}

Severity:    ${alert.severity}
Rule:        ${alert.rule}
<#if alert.key?has_content>Key:         ${alert.key}
</#if>Status:      ${alert.status}
Occurrences: ${alert.occurrences}
First seen:  ${alert.first_seen}
Last seen:   ${alert.last_seen}
<#if alert.tags?has_content>Tags:        ${alert.tags?join(", ")}
</#if><#if alert.url??>
${alert.url}
</#if><#if alert.evidence?has_content>

Evidence (${alert.evidence?size} event<#if alert.evidence?size != 1>s</#if>):
<#list alert.evidence as e>
- ${e.time!""} ${e.type!""}<#if e.user??> user=${e.user}</#if><#if e.ip??> ip=${e.ip}</#if><#if e.host??> host=${e.host}</#if> (${e.id!""})
</#list>
</#if>
