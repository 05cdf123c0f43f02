using Jamba.Server.Cluster;

namespace Jamba.Server.Api;

/// <summary>GET /health, /ready and /v1/models.</summary>
public static class StatusEndpoints
{
    public static void MapStatusEndpoints(this IEndpointRouteBuilder app)
    {
        // Alive as long as the process serves HTTP; readiness is /ready's business.
        app.MapGet("/health", () => Results.Json(new { status = "ok" }, ApiJson.Options));

        app.MapGet("/ready", (ClusterConnection cluster) =>
        {
            var status = cluster.GetStatus();
            var body = new
            {
                ready = status?.Ready ?? false,
                formed = status?.Formed ?? false,
                members = status?.Members.Select(member => new { address = member.Address, status = member.Status, roles = member.Roles }).ToArray() ?? [],
                unplaced = status?.Unplaced ?? ["cluster node starting"],
            };

            return Results.Json(body, ApiJson.Options, statusCode: body.ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });

        app.MapGet("/v1/models", (ServedModel model) =>
        {
            var card = new ModelCard(model.Name, "model", model.Created, "jamba-cluster", model.ContextTokens);
            return Results.Json(new ModelList("list", [card]), ApiJson.Options);
        });
    }
}
