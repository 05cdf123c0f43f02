using Jamba.Server.Metrics;
using Microsoft.AspNetCore.Http;
using Prometheus;

namespace Jamba.Server.Tests;

public sealed class RequestMetricsMiddlewareTests
{
    [Fact]
    public async Task UnhandledExceptionCountsAs500()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new JambaMetrics(registry);

        // The exception handler further out turns the exception into a 500 only after this middleware has
        // seen it, and until then the response still reads 200.
        var middleware = new RequestMetricsMiddleware(_ => throw new InvalidOperationException("handler failed"), metrics);
        await Assert.ThrowsAsync<InvalidOperationException>(() => middleware.InvokeAsync(new DefaultHttpContext()));

        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());

        Assert.Contains("jamba_http_requests_total{endpoint=\"unmatched\",status=\"500\"} 1", text);
        Assert.DoesNotContain("status=\"200\"", text);
    }
}
