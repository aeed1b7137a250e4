${count} alerts were held back by the rate limit of <#if rule??>rule "${rule}"<#else>channel ${channel.name}</#if> between ${hour_start} and ${hour_end}
