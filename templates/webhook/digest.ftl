Vigil digest: ${count} alert<#if count != 1>s</#if> from ${period_start} to ${period_end}
<#list alerts as a>
- [${a.severity?upper_case}] ${a.summary} · rule: ${a.rule}<#if a.key?has_content> · key: ${a.key}</#if><#if a.url??> · ${a.url}</#if>
</#list><#if count gt alerts?size>…and ${count - alerts?size} more
</#if>
