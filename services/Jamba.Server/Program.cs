using Jamba.Server.Api;
using Jamba.Server.Configuration;
using Jamba.Server.Metrics;
using Prometheus;

var builder = WebApplication.CreateBuilder(args);

// JAMBA_-prefixed environment variables override appsettings and plain ones (JAMBA_MODEL sets Model);
// the command line is added again so it still wins over both.
builder.Configuration.AddEnvironmentVariables("JAMBA_");
builder.Configuration.AddCommandLine(args);

ServerOptions options;
try
{
    options = ServerOptions.Read(builder.Configuration);
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"jamba-server: {e.Message}");
    return 2;
}

builder.WebHost.UseUrls(options.Urls);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(new JambaMetrics(Prometheus.Metrics.DefaultRegistry));

var app = builder.Build();

app.UseExceptionHandler(errors => errors.Run(context =>
    ApiError.Internal("The server failed to handle the request").ToResult().ExecuteAsync(context)));
app.UseMiddleware<RequestMetricsMiddleware>();

// NOTE: the completion, session and readiness endpoints join once the cluster node can be hosted here.
app.MapGet("/health", () => Results.Json(new { status = "ok" }, ApiJson.Options));
app.MapMetrics("/metrics");

app.Lifetime.ApplicationStarted.Register(() =>
    app.Logger.LogInformation("Jamba server listening on {Addresses}", options.Urls));

await app.RunAsync();
return Environment.ExitCode;
