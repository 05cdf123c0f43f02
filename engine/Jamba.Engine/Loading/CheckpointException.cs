namespace Jamba.Engine.Loading;

/// <summary>A checkpoint file or folder that cannot be loaded; the message names the file and the tensor or field.</summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string message)
        : base(message)
    {
    }

    public CheckpointException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
