namespace Jamba.Engine.Generation;

/// <summary>
/// One generated token. <paramref name="Text"/> is the text released at this step, which may be empty while
/// a character is incomplete or while text could be the start of a stop string. <paramref name="FinishReason"/>
/// is "stop" on EOS or a stop string, "length" at the token limit, and null while generation goes on.
/// </summary>
public sealed record GenerationStep(int TokenId, string Text, string? FinishReason)
{
    public const string Stop = "stop";
    public const string Length = "length";
}
