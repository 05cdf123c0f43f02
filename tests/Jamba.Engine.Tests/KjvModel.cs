using Jamba.Engine.Generation;
using Jamba.Engine.Tokenization;

namespace Jamba.Engine.Tests;

/// <summary>The bundled KJV demo model and its tokenizer, loaded once per test class.</summary>
public sealed class KjvModel : IDisposable
{
    public JambaModel Model { get; } = JambaModel.Load(Fixtures.Kjv);

    public JambaTokenizer Tokenizer { get; } = JambaTokenizer.Load(Fixtures.Kjv);

    public Generator Generator => new(Model, Tokenizer);

    /// <summary>Generates from a fresh state and returns every step.</summary>
    public List<GenerationStep> Generate(string prompt, GenerationOptions options) =>
        Generator.Generate(Model.CreateState(), Tokenizer.Encode(prompt), options).ToList();

    public void Dispose() => Model.Dispose();
}
