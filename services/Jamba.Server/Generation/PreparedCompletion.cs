using Jamba.Actors;
using Jamba.Server.Api;
using Jamba.Server.Cluster;

namespace Jamba.Server.Generation;

/// <summary>A completion request that passed every check, ready to send to the cluster.</summary>
public sealed record PreparedCompletion(
    IInferenceCluster Inference,
    CompletionRequest Request,
    GenerateRequest Generate,
    string EchoText,
    ServedModel Model)
{
    public string Id { get; } = "cmpl-" + Guid.NewGuid().ToString("N");

    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
