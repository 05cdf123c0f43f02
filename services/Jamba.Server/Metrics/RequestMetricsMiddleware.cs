using System.Diagnostics;
using System.Globalization;

namespace Jamba.Server.Metrics;

/// <summary>
/// Counts every request by endpoint and status and times it. The endpoint label is the route template,
/// so session ids do not create a series each. A client that went away is counted as 499, as nginx does.
/// </summary>
public sealed class RequestMetricsMiddleware(RequestDelegate next, JambaMetrics metrics)
{
    public const int ClientClosedRequest = 499;

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            var status = context.RequestAborted.IsCancellationRequested ? ClientClosedRequest : context.Response.StatusCode;

            metrics.Requests.WithLabels(endpoint, status.ToString(CultureInfo.InvariantCulture)).Inc();
            metrics.RequestDuration.WithLabels(endpoint).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
