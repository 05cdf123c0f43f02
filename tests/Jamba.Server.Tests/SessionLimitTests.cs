using System.Net;

namespace Jamba.Server.Tests;

/// <summary>A server limited to one session, pinned and one-off sessions alike.</summary>
public sealed class SessionLimitFixture : IAsyncLifetime
{
    private ServerProcess? _server;

    public HttpClient Client => (_server ?? throw new InvalidOperationException("the server has not started")).Client;

    public async Task InitializeAsync() =>
        _server = await ServerProcess.StartAsync(new Dictionary<string, string>(), "--MaxSessions", "1");

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public sealed class SessionLimitTests(SessionLimitFixture fixture) : IClassFixture<SessionLimitFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task SessionBeyondLimitGets429()
    {
        var (created, session) = await ApiClient.PostAsync(Client, "/v1/sessions", new { pinned = true });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var id = session["id"]!.GetValue<string>();

        var (rejected, rejection) = await ApiClient.PostAsync(Client, "/v1/sessions", new { pinned = false });
        var (oneOff, oneOffBody) = await ApiClient.PostAsync(Client, "/v1/completions", new { prompt = "In the beginning", max_tokens = 2 });

        ApiClient.AssertError(rejected, rejection, HttpStatusCode.TooManyRequests, null, "session_limit_reached");
        ApiClient.AssertError(oneOff, oneOffBody, HttpStatusCode.TooManyRequests, null, "session_limit_reached");
        Assert.Contains("1 sessions", rejection["error"]!["message"]!.GetValue<string>());

        // Deleting the session gives its place back, so a new session fits again.
        using var deleted = await Client.DeleteAsync($"/v1/sessions/{id}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var status = HttpStatusCode.TooManyRequests;
        for (var attempt = 0; attempt < 50 && status != HttpStatusCode.OK; attempt++)
        {
            await Task.Delay(100);
            var (again, againBody) = await ApiClient.PostAsync(Client, "/v1/completions", new { prompt = "In the beginning", max_tokens = 2 });
            status = again.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, status);
    }
}
