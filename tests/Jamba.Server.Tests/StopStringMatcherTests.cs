using Jamba.Server.Generation;

namespace Jamba.Server.Tests;

public sealed class StopStringMatcherTests
{
    [Fact]
    public void PassesTextWithoutStops()
    {
        var matcher = new StopStringMatcher([]);

        Assert.Equal("abc", matcher.Push("abc"));
        Assert.Equal("", matcher.Flush());
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void CutsAtStopInOnePiece()
    {
        var matcher = new StopStringMatcher(["END"]);

        Assert.Equal("hello ", matcher.Push("hello END world"));
        Assert.True(matcher.Stopped);
    }

    [Fact]
    public void HoldsBackStopSplitOverPieces()
    {
        var matcher = new StopStringMatcher(["\n\n"]);

        Assert.Equal("line", matcher.Push("line\n"));
        Assert.False(matcher.Stopped);
        Assert.Equal("", matcher.Push("\nmore"));
        Assert.True(matcher.Stopped);
    }

    [Fact]
    public void ReleasesHeldTextWhenItCannotMatch()
    {
        var matcher = new StopStringMatcher(["abc"]);

        Assert.Equal("x", matcher.Push("xab"));
        Assert.Equal("abd", matcher.Push("d"));
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void FlushReturnsHeldTextAtEnd()
    {
        var matcher = new StopStringMatcher(["abc"]);

        Assert.Equal("", matcher.Push("ab"));
        Assert.Equal("ab", matcher.Flush());
    }

    [Fact]
    public void EarliestOfSeveralStopsWins()
    {
        var matcher = new StopStringMatcher(["world", "lo"]);

        Assert.Equal("hel", matcher.Push("hello world"));
    }

    [Fact]
    public void PushAfterStopThrows()
    {
        var matcher = new StopStringMatcher(["x"]);
        matcher.Push("x");

        Assert.Throws<InvalidOperationException>(() => matcher.Push("y"));
    }
}
