using Jamba.Engine;
using Jamba.Engine.Sampling;

namespace Jamba.Actors.Tests;

/// <summary>Greedy generation with the single-process engine: what the cluster must reproduce.</summary>
public static class EngineReference
{
    public static int[] Greedy(string modelDirectory, int[] prompt, int maxNewTokens)
    {
        using var model = JambaModel.Load(modelDirectory);
        var state = model.CreateState();
        var sampler = new Sampler(SamplingOptions.Greedy);
        var tokens = new List<int>();
        var logits = model.Forward(state, prompt);
        while (true)
        {
            var token = sampler.Sample(logits);
            tokens.Add(token);
            if (tokens.Count == maxNewTokens)
            {
                return [.. tokens];
            }

            logits = model.Forward(state, [token]);
        }
    }

    public static async Task<(int[] Tokens, List<TokenEvent> Events)> GenerateAsync(IInferenceCluster cluster, string? sessionId,
        int[] prompt, int maxNewTokens, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var events = new List<TokenEvent>();
        var request = new GenerateRequest(sessionId, prompt, SamplingOptions.Greedy, maxNewTokens, StopAtEos: false);
        await foreach (var tokenEvent in cluster.GenerateAsync(request, timeout.Token))
        {
            events.Add(tokenEvent);
        }

        return (events.Select(e => e.TokenId).ToArray(), events);
    }
}
