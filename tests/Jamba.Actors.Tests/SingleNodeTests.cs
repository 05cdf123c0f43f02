using Jamba.Engine.Sampling;

namespace Jamba.Actors.Tests;

/// <summary>One node with all roles and the default placement, as the service starts without configuration.</summary>
public sealed class SingleNodeTests
{
    private static readonly string[] AllRoles = ["layers", "experts", "sessions"];

    private static readonly int[] Prompt = [1, 17, 42, 99, 3, 250, 7, 64, 128, 5, 11, 200];

    [Fact]
    public async Task One_off_greedy_matches_engine()
    {
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [AllRoles]);
        var expected = EngineReference.Greedy(TestPaths.TinyMoe, Prompt, 12);

        var (tokens, events) = await EngineReference.GenerateAsync(cluster.Inference, null, Prompt, 12);

        Assert.Equal(expected, tokens);
        Assert.Equal(Prompt.Length, events[0].PromptTokensComputed);
        Assert.Equal("length", events[^1].FinishReason);
        Assert.All(events.SkipLast(1), e => Assert.Null(e.FinishReason));
    }

    [Fact]
    public async Task Session_continues_without_recomputing()
    {
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [AllRoles]);
        var session = await cluster.Inference.CreateSessionAsync(pinned: false, CancellationToken.None);

        var (first, firstEvents) = await EngineReference.GenerateAsync(cluster.Inference, session.Id, Prompt[..8], 4);
        var (second, secondEvents) = await EngineReference.GenerateAsync(cluster.Inference, session.Id, Prompt[8..], 4);

        // One request over the same ids in one piece: first prompt, its output, the second prompt.
        var whole = Prompt[..8].Concat(first).Concat(Prompt[8..]).ToArray();
        var expected = EngineReference.Greedy(TestPaths.TinyMoe, whole, 4);
        Assert.Equal(expected, second);
        Assert.Equal(8, firstEvents[0].PromptTokensComputed);
        // The last token of the first answer was sampled but never fed, so it runs with the new prompt.
        Assert.Equal(Prompt.Length - 8 + 1, secondEvents[0].PromptTokensComputed);

        var info = await cluster.Inference.GetSessionAsync(session.Id, CancellationToken.None);
        Assert.NotNull(info);
        Assert.Equal(whole.Length + 4, info.Tokens);
        Assert.True(info.StateBytes > 0);
    }

    [Fact]
    public async Task Concurrent_sequences_match_alone()
    {
        // Small prefill chunks make prompts of different lengths share steps with others' decoding.
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [AllRoles],
            configure: o => o with { PrefillChunkTokens = 3, MaxBatchSequences = 3 });
        var prompts = Enumerable.Range(0, 5).Select(i => Prompt.Skip(i).Take(5 + 2 * i).ToArray()).ToArray();

        var results = await Task.WhenAll(prompts.Select(p => EngineReference.GenerateAsync(cluster.Inference, null, p, 10)));

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(EngineReference.Greedy(TestPaths.TinyMoe, prompts[i], 10), results[i].Tokens);
        }
    }

    [Fact]
    public async Task Full_queue_rejects_request()
    {
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [AllRoles],
            configure: o => o with { MaxBatchSequences = 1, MaxQueuedSequences = 0 });
        using var cancel = new CancellationTokenSource();
        var running = cluster.Inference.GenerateAsync(
            new GenerateRequest(null, Prompt, SamplingOptions.Greedy, 4000, StopAtEos: false), cancel.Token).GetAsyncEnumerator();
        Assert.True(await running.MoveNextAsync());

        var session = await cluster.Inference.CreateSessionAsync(pinned: false, CancellationToken.None);

        var rejected = await Assert.ThrowsAsync<QueueFullException>(() =>
            EngineReference.GenerateAsync(cluster.Inference, session.Id, Prompt, 2));

        Assert.Equal(0, rejected.Capacity);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            while (await running.MoveNextAsync())
            {
            }
        });
        await running.DisposeAsync();

        // The rejected prompt did not stay in the session, so the retry feeds it once.
        var (tokens, events) = await RetryWhileBusyAsync(() => EngineReference.GenerateAsync(cluster.Inference, session.Id, Prompt, 2));
        Assert.Equal(EngineReference.Greedy(TestPaths.TinyMoe, Prompt, 2), tokens);
        Assert.Equal(Prompt.Length, events[0].PromptTokensComputed);
    }

    [Fact]
    public async Task Cancelled_generation_frees_slot()
    {
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [AllRoles],
            configure: o => o with { MaxBatchSequences = 1, MaxQueuedSequences = 0 });
        var session = await cluster.Inference.CreateSessionAsync(pinned: false, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var count = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            var request = new GenerateRequest(session.Id, Prompt, SamplingOptions.Greedy, 4000, StopAtEos: false);
            await foreach (var _ in cluster.Inference.GenerateAsync(request, cancel.Token))
            {
                if (++count == 3)
                {
                    await cancel.CancelAsync();
                }
            }
        });

        // With one batch slot and no queue, this succeeds only if the cancelled sequence left the batch.
        var (tokens, _) = await RetryWhileBusyAsync(() => EngineReference.GenerateAsync(cluster.Inference, null, Prompt, 3));
        Assert.Equal(EngineReference.Greedy(TestPaths.TinyMoe, Prompt, 3), tokens);
        var info = await cluster.Inference.GetSessionAsync(session.Id, CancellationToken.None);
        Assert.NotNull(info);
        Assert.True(info.Tokens >= Prompt.Length + 3, $"the session kept {info.Tokens} tokens");
    }

    [Fact]
    public async Task Stopped_stream_keeps_only_taken_tokens()
    {
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [AllRoles]);
        var session = await cluster.Inference.CreateSessionAsync(pinned: false, CancellationToken.None);
        var takenIds = new List<int>();

        var request = new GenerateRequest(session.Id, Prompt[..8], SamplingOptions.Greedy, 4000, StopAtEos: false);
        await foreach (var tokenEvent in cluster.Inference.GenerateAsync(request, CancellationToken.None))
        {
            takenIds.Add(tokenEvent.TokenId);
            if (takenIds.Count == 3)
            {
                // The batcher keeps sampling and feeding tokens that the caller never takes.
                await Task.Delay(300);
                break;
            }
        }

        // The next turn waits for the stopped request to leave the batch instead of finding the session busy.
        var (next, _) = await EngineReference.GenerateAsync(cluster.Inference, session.Id, Prompt[8..], 4);

        var whole = Prompt[..8].Concat(takenIds).Concat(Prompt[8..]).ToArray();
        Assert.Equal(EngineReference.Greedy(TestPaths.TinyMoe, whole, 4), next);
        var info = await cluster.Inference.GetSessionAsync(session.Id, CancellationToken.None);
        Assert.NotNull(info);
        Assert.Equal(whole.Length + 4, info.Tokens);
    }

    [Fact]
    public async Task Unknown_session_is_reported()
    {
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [AllRoles]);

        Assert.Null(await cluster.Inference.GetSessionAsync("no-such-session", CancellationToken.None));
        Assert.False(await cluster.Inference.DeleteSessionAsync("no-such-session", CancellationToken.None));
        var error = await Assert.ThrowsAsync<SessionNotFoundException>(() =>
            EngineReference.GenerateAsync(cluster.Inference, "no-such-session", Prompt, 2));
        Assert.Equal("no-such-session", error.SessionId);
    }

    [Fact]
    public async Task Session_limit_rejects_then_frees()
    {
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [AllRoles],
            configure: o => o with { MaxSessions = 2 });
        var first = await cluster.Inference.CreateSessionAsync(pinned: true, CancellationToken.None);
        await cluster.Inference.CreateSessionAsync(pinned: false, CancellationToken.None);

        var error = await Assert.ThrowsAsync<SessionLimitException>(() =>
            cluster.Inference.CreateSessionAsync(pinned: false, CancellationToken.None));
        await Assert.ThrowsAsync<SessionLimitException>(() =>
            EngineReference.GenerateAsync(cluster.Inference, null, Prompt, 2));

        Assert.Equal(2, error.Limit);
        Assert.True(await cluster.Inference.DeleteSessionAsync(first.Id, CancellationToken.None));

        // The deleted session gives its place back as it stops, just after it replies.
        SessionInfo? created = null;
        for (var attempt = 0; attempt < 50 && created is null; attempt++)
        {
            try
            {
                created = await cluster.Inference.CreateSessionAsync(pinned: false, CancellationToken.None);
            }
            catch (SessionLimitException)
            {
                await Task.Delay(100);
            }
        }

        Assert.NotNull(created);
    }

    [Fact]
    public async Task Invalid_token_is_rejected()
    {
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [AllRoles]);

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            EngineReference.GenerateAsync(cluster.Inference, null, [1, 256], 2));

        Assert.Contains("256", error.Message);
    }

    [Fact]
    public async Task Idle_session_passivates_unless_pinned()
    {
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [AllRoles],
            configure: o => o with { SessionIdleTimeout = TimeSpan.FromMilliseconds(300) });
        var idle = await cluster.Inference.CreateSessionAsync(pinned: false, CancellationToken.None);
        var pinned = await cluster.Inference.CreateSessionAsync(pinned: true, CancellationToken.None);
        await EngineReference.GenerateAsync(cluster.Inference, pinned.Id, Prompt, 2);

        // Each look at the session resets its idle timer, so the looks are further apart than the timeout.
        SessionInfo? found = idle;
        for (var attempt = 0; attempt < 10 && found is not null; attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            found = await cluster.Inference.GetSessionAsync(idle.Id, CancellationToken.None);
        }

        Assert.Null(found);
        var kept = await cluster.Inference.GetSessionAsync(pinned.Id, CancellationToken.None);
        Assert.NotNull(kept);
        Assert.True(kept.Pinned);
        Assert.Equal(Prompt.Length + 2, kept.Tokens);
    }

    [Fact]
    public async Task Status_shows_ready_member()
    {
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [AllRoles]);

        var status = cluster.Inference.GetStatus();

        Assert.True(status.Formed);
        Assert.True(status.Ready, $"unplaced: {string.Join(", ", status.Unplaced)}");
        var member = Assert.Single(status.Members);
        Assert.Equal("Up", member.Status);
        Assert.Equal(AllRoles.Order(), member.Roles);
    }

    private static async Task<T> RetryWhileBusyAsync<T>(Func<Task<T>> action)
    {
        // The cancellation reaches the batcher asynchronously, so the slot may still be taken for a moment.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (QueueFullException) when (attempt < 20)
            {
                await Task.Delay(100);
            }
        }
    }
}
