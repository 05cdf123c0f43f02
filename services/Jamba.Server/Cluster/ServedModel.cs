using Jamba.Engine.Loading;
using Jamba.Engine.Tokenization;
using Jamba.Server.Configuration;

namespace Jamba.Server.Cluster;

/// <summary>The model this service serves, as requests see it: name, tokenizer, vocabulary and context limit.</summary>
public sealed class ServedModel
{
    private ServedModel(string name, JambaConfig config, JambaTokenizer tokenizer, int contextTokens)
    {
        Name = name;
        Config = config;
        Tokenizer = tokenizer;
        ContextTokens = contextTokens;
        Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    /// <summary>Model id reported by /v1/models and accepted in a request's <c>model</c> field: the model folder's name.</summary>
    public string Name { get; }

    public JambaConfig Config { get; }

    public JambaTokenizer Tokenizer { get; }

    /// <summary>Longest sequence a request may reach: session history, prompt and completion.</summary>
    public int ContextTokens { get; }

    public long Created { get; }

    /// <summary>Ids both the embedding and the tokenizer know: valid prompt ids are below this.</summary>
    public int VocabSize => Math.Min(Config.VocabSize, Tokenizer.VocabSize);

    /// <summary>Reads config.json and the tokenizer; the weights are loaded by the cluster's actors.</summary>
    /// <exception cref="CheckpointException">the config is missing or invalid.</exception>
    public static ServedModel Load(ServerOptions options)
    {
        var config = JambaConfig.Load(Path.Combine(options.ModelDirectory, "config.json"));
        var tokenizer = JambaTokenizer.Load(options.ModelDirectory);
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(options.ModelDirectory));

        return new ServedModel(name, config, tokenizer, options.ContextTokens(config.MaxPositionEmbeddings));
    }
}
