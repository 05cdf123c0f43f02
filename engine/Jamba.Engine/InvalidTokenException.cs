namespace Jamba.Engine;

/// <summary>A token id outside the model's vocabulary.</summary>
public sealed class InvalidTokenException(int tokenId, int vocabSize)
    : ArgumentException($"token id {tokenId} is outside the vocabulary [0, {vocabSize})")
{
    public int TokenId { get; } = tokenId;
}
