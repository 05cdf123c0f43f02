using Jamba.Engine.Sampling;
using Jamba.Engine.State;
using Jamba.Engine.Tokenization;

namespace Jamba.Engine.Generation;

/// <summary>
/// The autoregressive loop: prefill the prompt, then sample and feed back one token at a time, streaming
/// decoded text and stopping on EOS, a stop string or the token limit.
/// </summary>
public sealed class Generator(JambaModel model, JambaTokenizer tokenizer)
{
    /// <summary>
    /// Feeds <paramref name="promptIds"/> on top of <paramref name="state"/> in one call, then generates up to
    /// <see cref="GenerationOptions.MaxNewTokens"/> tokens, one model call each. The text of the steps
    /// concatenates to the decoded continuation without EOS and cut before any stop string. The last token
    /// returned is not fed to the model, so <paramref name="state"/> ends one token short of the output.
    /// With MaxNewTokens 0 the prompt is prefilled and no step is returned. Options and prompt are
    /// checked at the call, before enumeration starts.
    /// </summary>
    public IEnumerable<GenerationStep> Generate(SequenceState state, IReadOnlyList<int> promptIds, GenerationOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(promptIds);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (promptIds.Count == 0)
        {
            throw new ArgumentException("the prompt must contain at least one token (BOS for an empty text)", nameof(promptIds));
        }

        var prompt = promptIds.ToArray();
        model.CheckTokens(prompt);
        return Run(state, prompt, options, cancellationToken);
    }

    private IEnumerable<GenerationStep> Run(SequenceState state, int[] prompt, GenerationOptions options,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var logits = model.Forward(state, prompt);
        if (options.MaxNewTokens == 0)
        {
            yield break;
        }

        var sampler = new Sampler(options.Sampling);
        var decoder = tokenizer.CreateStreamingDecoder();
        var stops = new StopStringMatcher(options.StopStrings);

        for (var generated = 1; ; generated++)
        {
            var id = sampler.Sample(logits);

            if (options.StopAtEos && id == tokenizer.EosId)
            {
                yield return new GenerationStep(id, Finish(decoder, stops).Text, GenerationStep.Stop);
                yield break;
            }

            var (text, stopped) = stops.Push(decoder.Push(id));
            if (stopped)
            {
                yield return new GenerationStep(id, text, GenerationStep.Stop);
                yield break;
            }

            if (generated == options.MaxNewTokens)
            {
                var (rest, stoppedInRest) = Finish(decoder, stops);
                yield return new GenerationStep(id, text + rest, stoppedInRest ? GenerationStep.Stop : GenerationStep.Length);
                yield break;
            }

            yield return new GenerationStep(id, text, null);

            cancellationToken.ThrowIfCancellationRequested();
            logits = model.Forward(state, [id]);
        }
    }

    /// <summary>Releases what the decoder and the stop-string matcher still hold, up to a stop string it completes.</summary>
    private static (string Text, bool Stopped) Finish(StreamingDecoder decoder, StopStringMatcher stops)
    {
        var (text, stopped) = stops.Push(decoder.Flush());
        return stopped ? (text, true) : (text + stops.Flush(), false);
    }
}
