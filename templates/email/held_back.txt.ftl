${count} alerts were held back by the rate limit of <#if rule??>rule "${rule}"<#else>channel ${channel.name}</#if> between ${hour_start} and ${hour_end}.

They are stored in Vigil with the reason rate_limited: GET /api/v1/deliveries?channel=${channel.name}&status=skipped
