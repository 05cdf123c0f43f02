namespace Jamba.Engine.Tests;

/// <summary>Token ids outside [0, vocab_size) raise <see cref="InvalidTokenException"/> before any state changes.</summary>
public class InvalidTokenTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void Forward_rejects_id_outside_vocabulary(int badId)
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var state = model.CreateState();
        model.Forward(state, [1, 5, 7]);
        var before = state.Serialize();

        var error = Assert.Throws<InvalidTokenException>(() => model.Forward(state, [3, badId, 4]));

        Assert.Equal(badId, error.TokenId);
        Assert.Contains(badId.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Contains("256", error.Message);
        Assert.Equal(3, state.Position);
        Assert.Equal(before, state.Serialize());
    }

    [Theory]
    [InlineData(320)]
    [InlineData(-5)]
    public void Embed_rejects_id_outside_vocabulary(int badId)
    {
        using var model = JambaModel.Load(Fixtures.TinyDenseBf16);

        var error = Assert.Throws<InvalidTokenException>(() => model.Embed([0, badId]));

        Assert.Equal(badId, error.TokenId);
        Assert.Contains("320", error.Message);
    }

    [Fact]
    public void Last_vocabulary_id_is_accepted()
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);

        var logits = model.Forward(model.CreateState(), [0, 255]);

        Assert.Equal(256, logits.Length);
    }
}
