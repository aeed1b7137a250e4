*${count} alert<#if count != 1>s</#if>* from ${period_start} to ${period_end}
<#list alerts as a><#if a?index == 20>
…and ${count - 20} more<#break></#if>
• [${a.severity}] *${a.summary}* (${a.rule}<#if a.key?has_content>, key ${a.key}</#if>)</#list><#if count gt alerts?size && alerts?size lte 20>
…and ${count - alerts?size} more</#if>
