using System.Text;
using Jamba.Server.Api;
using Microsoft.AspNetCore.Http;

namespace Jamba.Server.Tests;

public sealed class SseWriterTests
{
    [Fact]
    public async Task WritesDataEventsAndDone()
    {
        var context = new DefaultHttpContext();
        var body = new MemoryStream();
        context.Response.Body = body;
        var writer = new SseWriter(context.Response);

        await writer.StartAsync(CancellationToken.None);
        await writer.WriteAsync(new { text = "a\nb", finish_reason = (string?)null }, CancellationToken.None);
        await writer.WriteDoneAsync(CancellationToken.None);

        Assert.Equal("text/event-stream; charset=utf-8", context.Response.ContentType);
        Assert.Equal("data: {\"text\":\"a\\nb\",\"finish_reason\":null}\n\ndata: [DONE]\n\n", Encoding.UTF8.GetString(body.ToArray()));
    }
}
