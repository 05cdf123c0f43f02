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
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            // The exception handler outside this middleware sends the 500 later, so the response still reads 200 here.
            failed = true;
            throw;
        }
        finally
        {
            var endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            var status = context.RequestAborted.IsCancellationRequested ? ClientClosedRequest
                : failed ? StatusCodes.Status500InternalServerError
                : context.Response.StatusCode;

            metrics.Requests.WithLabels(endpoint, status.ToString(CultureInfo.InvariantCulture)).Inc();
            metrics.RequestDuration.WithLabels(endpoint).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
