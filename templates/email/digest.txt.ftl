${count} alert<#if count != 1>s</#if> from ${period_start} to ${period_end}:
<#list alerts as a>

[${a.severity?upper_case}] ${a.summary}
  Rule:        ${a.rule}
<#if a.key?has_content>  Key:         ${a.key}
</#if>  Status:      ${a.status}
  Occurrences: ${a.occurrences}
  First seen:  ${a.first_seen}
<#if a.url??>  ${a.url}
</#if></#list><#if count gt alerts?size>

…and ${count - alerts?size} more.
</#if>
