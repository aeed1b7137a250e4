*${alert.summary}*<#if alert.evidence?has_content>
<#list alert.evidence as e><#if e?index == 3>
…and ${alert.evidence?size - 3} more<#break></#if>
• ${e.time!""} ${e.type!""}<#if e.user??> user=${e.user}</#if><#if e.ip??> ip=${e.ip}</#if><#if e.host??> host=${e.host}</#if></#list></#if>
