using Jamba.Server.Configuration;
using Microsoft.Extensions.Configuration;

namespace Jamba.Server.Tests;

public sealed class ServerOptionsTests
{
    private static ServerOptions Read(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(pair => new KeyValuePair<string, string?>(pair.Key, pair.Value)))
            .Build();
        return ServerOptions.Read(configuration);
    }

    [Fact]
    public void DefaultsServeBundledModelLocally()
    {
        var options = Read();

        Assert.Equal("http://127.0.0.1:8000", options.Urls);
        Assert.Equal(Path.Combine(ServerProcess.RepositoryRoot, "models", "jamba-tiny-kjv"), options.ModelDirectory);
        Assert.Equal(["layers", "experts", "sessions"], options.Roles);
        Assert.Empty(options.SeedNodes);
        Assert.Equal(0, options.AkkaPort);
        Assert.Null(options.PlacementFile);
        Assert.Equal(TimeSpan.FromMinutes(10), options.SessionIdleTimeout);
    }

    [Fact]
    public void ReadsCommaSeparatedLists()
    {
        var options = Read(("Roles", "layers, experts"), ("SeedNodes", "akka.tcp://jamba@127.0.0.1:4053,akka.tcp://jamba@127.0.0.1:4054"));

        Assert.Equal(["layers", "experts"], options.Roles);
        Assert.Equal(["akka.tcp://jamba@127.0.0.1:4053", "akka.tcp://jamba@127.0.0.1:4054"], options.SeedNodes);
    }

    [Fact]
    public void ReadsIndexedLists()
    {
        var options = Read(("Roles:0", "sessions"), ("Roles:1", "experts"));

        Assert.Equal(["sessions", "experts"], options.Roles);
    }

    [Fact]
    public void ReadsLimits()
    {
        var options = Read(("MaxContextTokens", "512"), ("MaxQueuedSequences", "3"), ("MaxBatchSequences", "2"), ("SessionIdleTimeout", "00:00:30"), ("AkkaPort", "4053"));

        Assert.Equal(512, options.MaxContextTokens);
        Assert.Equal(3, options.MaxQueuedSequences);
        Assert.Equal(2, options.MaxBatchSequences);
        Assert.Equal(TimeSpan.FromSeconds(30), options.SessionIdleTimeout);
        Assert.Equal(4053, options.AkkaPort);
    }

    [Fact]
    public void ContextDefaultsToModelLimitCapped()
    {
        Assert.Equal(4096, Read().ContextTokens(262144));
        Assert.Equal(2048, Read().ContextTokens(2048));
        Assert.Equal(100, Read(("MaxContextTokens", "100")).ContextTokens(262144));
    }

    [Fact]
    public void ContextAboveModelLimitIsRejected()
    {
        // The cluster rejects sequences past max_position_embeddings, so a larger limit would let requests through to fail there.
        var options = Read(("MaxContextTokens", "8192"));

        var error = Assert.Throws<InvalidOperationException>(() => options.ContextTokens(4096));

        Assert.StartsWith("MaxContextTokens:", error.Message);
        Assert.Contains("4096", error.Message);
    }

    [Theory]
    [InlineData("AkkaPort", "70000")]
    [InlineData("MaxBatchSequences", "0")]
    [InlineData("MaxContextTokens", "many")]
    [InlineData("SessionIdleTimeout", "-00:01:00")]
    [InlineData("Roles", "layers,gpu")]
    public void RejectsInvalidValue(string key, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read((key, value)));

        Assert.StartsWith(key + ":", error.Message);
    }

    [Fact]
    public void AcceptsRolesOfPlacementPlan()
    {
        var plan = Path.Combine(ServerProcess.RepositoryRoot, "deploy", "placement-three-nodes.json");

        var options = Read(("Roles", "layers-b,experts"), ("PlacementFile", plan));

        Assert.Equal(["layers-b", "experts"], options.Roles);
    }

    [Fact]
    public void RejectsRoleOutsidePlacementPlan()
    {
        var plan = Path.Combine(ServerProcess.RepositoryRoot, "deploy", "placement-three-nodes.json");

        var error = Assert.Throws<InvalidOperationException>(() => Read(("Roles", "layers"), ("PlacementFile", plan)));

        Assert.Contains("'layers'", error.Message);
        Assert.Contains("layers-a", error.Message);
    }

    [Fact]
    public void CommandLineOverridesJambaEnvironment()
    {
        Environment.SetEnvironmentVariable("JAMBA_MAXQUEUEDSEQUENCES", "5");
        try
        {
            var configuration = new ConfigurationBuilder()
                .AddEnvironmentVariables("JAMBA_")
                .AddCommandLine(["--MaxQueuedSequences", "7"])
                .Build();

            Assert.Equal(7, ServerOptions.Read(configuration).MaxQueuedSequences);

            var environmentOnly = new ConfigurationBuilder().AddEnvironmentVariables("JAMBA_").Build();
            Assert.Equal(5, ServerOptions.Read(environmentOnly).MaxQueuedSequences);
        }
        finally
        {
            Environment.SetEnvironmentVariable("JAMBA_MAXQUEUEDSEQUENCES", null);
        }
    }
}
