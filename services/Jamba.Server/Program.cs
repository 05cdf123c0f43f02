using Akka.Hosting;
using Jamba.Actors.Hosting;
using Jamba.Actors.Placement;
using Jamba.Engine.Loading;
using Jamba.Server.Api;
using Jamba.Server.Cluster;
using Jamba.Server.Configuration;
using Jamba.Server.Metrics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Prometheus;

// appsettings.json ships beside the program, so it is found from any working folder.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// JAMBA_-prefixed environment variables override appsettings and plain ones (JAMBA_MODEL sets Model);
// the command line is added again so it still wins over both.
builder.Configuration.AddEnvironmentVariables("JAMBA_");
builder.Configuration.AddCommandLine(args);

ServerOptions options;
ServedModel model;
try
{
    options = ServerOptions.Read(builder.Configuration);
    model = ServedModel.Load(options);
}
catch (Exception e) when (e is InvalidOperationException or CheckpointException or PlacementException or IOException)
{
    Console.Error.WriteLine($"jamba-server: {e.Message}");
    return 2;
}

builder.WebHost.UseUrls(options.Urls);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(model);
var metrics = new JambaMetrics(Prometheus.Metrics.DefaultRegistry);
builder.Services.AddSingleton(metrics);

// Akka.Hosting owns the "jamba" actor system: it starts it with the host and runs its coordinated
// shutdown when the host stops. ClusterNodeService then joins the cluster and starts the node's actors.
var nodeOptions = options.ToClusterNodeOptions(metrics);
builder.Services.AddSingleton(nodeOptions);
builder.Services.AddAkka(JambaClusterHost.SystemName, akka => akka
    .AddHocon(JambaClusterHost.Configuration(nodeOptions), HoconAddMode.Prepend)
    .ConfigureLoggers(loggers =>
    {
        loggers.ClearLoggers();
        loggers.AddLoggerFactory();
    }));
builder.Services.AddSingleton<ClusterConnection>();
builder.Services.AddSingleton<ClusterNodeService>();
builder.Services.AddHostedService(services => services.GetRequiredService<ClusterNodeService>());
builder.Services.AddSingleton<CompletionHandler>();

var app = builder.Build();

app.UseExceptionHandler(errors => errors.Run(context =>
    ApiError.Internal("The server failed to handle the request").ToResult().ExecuteAsync(context)));
app.UseMiddleware<RequestMetricsMiddleware>();
app.UseStatusCodePages(context => WriteRoutingError(context.HttpContext));

app.MapStatusEndpoints();
app.MapPost("/v1/completions", (HttpContext context, CompletionHandler handler) => handler.HandleAsync(context, null));
app.MapSessionEndpoints();
app.MapMetrics("/metrics");

// Membership is read when Prometheus scrapes, so the member series are current without a polling loop.
var cluster = app.Services.GetRequiredService<ClusterConnection>();
Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(() => cluster.GetStatus());

app.Lifetime.ApplicationStarted.Register(() =>
{
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
    app.Logger.LogInformation(
        "Jamba server listening on {Addresses}, serving {Model} ({ContextTokens} context tokens)",
        string.Join(", ", addresses), model.Name, model.ContextTokens);
});

await app.RunAsync();
return Environment.ExitCode;

// Routing ends an unknown path (404) or method (405) with an empty body, so this writes OpenAI's error body.
static Task WriteRoutingError(HttpContext context)
{
    var request = context.Request;
    var error = new ApiError(context.Response.StatusCode, $"{request.Method} {request.Path} is not an endpoint of this service", "invalid_request_error");
    return error.ToResult().ExecuteAsync(context);
}
