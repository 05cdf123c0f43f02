using System.Threading.Channels;
using Akka.Actor;

namespace Jamba.Actors.Sequences;

/// <summary>
/// The caller's end of one generation, on the caller's node: it starts the request at the sequence
/// entity and writes each token event into a channel. Stopping it cancels the generation, because
/// the batcher watches it.
/// </summary>
public sealed class StreamReceiverActor : ReceiveActor
{
    private readonly ChannelWriter<TokenEvent> _writer;
    private readonly IActorRef _sequences;
    private readonly StartGeneration _request;

    public StreamReceiverActor(ChannelWriter<TokenEvent> writer, IActorRef sequences, StartGeneration request)
    {
        _writer = writer;
        _sequences = sequences;
        _request = request;

        Receive<GenerationAccepted>(_ => Context.Watch(Sender));
        Receive<TokenGenerated>(m =>
        {
            _writer.TryWrite(m.ToEvent());
            if (m.FinishReason is not null)
            {
                Complete(null);
            }
        });
        Receive<GenerationRejected>(m => Complete(m.Kind switch
        {
            RejectionKind.SessionNotFound => new SessionNotFoundException(_request.SessionId),
            RejectionKind.QueueFull => new QueueFullException(m.QueueCapacity),
            RejectionKind.SessionBusy => new SessionBusyException(_request.SessionId, m.Message),
            _ => new ArgumentException(m.Message),
        }));
        Receive<GenerationFailed>(m => Complete(new GenerationFailedException(m.Error)));
        Receive<Terminated>(_ => Complete(new GenerationFailedException(
            $"the node running session '{_request.SessionId}' left the cluster during generation")));
    }

    protected override void PreStart() => _sequences.Tell(_request, Self);

    protected override void PostStop() => _writer.TryComplete();

    private void Complete(Exception? error)
    {
        _writer.TryComplete(error);
        Context.Stop(Self);
    }
}
