using Jamba.Engine.Loading;
using Jamba.Engine.Tokenization;

namespace Jamba.Engine.Tests;

public class JambaTokenizerTests
{
    private static readonly JambaTokenizer Tokenizer = JambaTokenizer.Load(Fixtures.Kjv);

    public static TheoryData<int> GoldenCases => new(Enumerable.Range(0, TokenizerGolden.Load().Cases.Count));

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Encode_matches_golden(int index)
    {
        var golden = TokenizerGolden.Load().Cases[index];

        Assert.Equal(golden.Ids, Tokenizer.Encode(golden.Text));
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Decode_matches_golden(int index)
    {
        var golden = TokenizerGolden.Load().Cases[index];

        Assert.Equal(golden.Decoded, Tokenizer.Decode(golden.Ids));
    }

    [Fact]
    public void Special_ids_follow_configs()
    {
        var golden = TokenizerGolden.Load();

        Assert.True(golden.AddBosToken);
        Assert.Equal(golden.BosTokenId, Tokenizer.BosId);
        Assert.Equal(2, Tokenizer.EosId);
        Assert.Equal(2048, Tokenizer.VocabSize);
    }

    [Fact]
    public void Empty_prompt_is_bos()
    {
        Assert.Equal([Tokenizer.BosId!.Value], Tokenizer.Encode(""));
    }

    [Fact]
    public void Decode_skips_bos_eos_pad()
    {
        var ids = Tokenizer.Encode("Thou shalt not kill.").Append(Tokenizer.EosId!.Value).Append(0).ToArray();

        Assert.Equal("Thou shalt not kill.", Tokenizer.Decode(ids));
    }

    [Fact]
    public void Special_token_text_stays_text()
    {
        var ids = Tokenizer.Encode("<|endoftext|>");

        Assert.DoesNotContain(Tokenizer.EosId!.Value, ids);
        Assert.Equal("<|endoftext|>", Tokenizer.Decode(ids));
    }

    [Fact]
    public void Decode_rejects_id_outside_vocabulary()
    {
        var error = Assert.Throws<InvalidTokenException>(() => Tokenizer.Decode([5, Tokenizer.VocabSize]));

        Assert.Equal(Tokenizer.VocabSize, error.TokenId);
    }

    [Fact]
    public void Missing_model_names_file()
    {
        using var dir = new TokenizerFolder();
        File.Delete(dir.ModelPath);

        var error = Assert.Throws<CheckpointException>(() => JambaTokenizer.Load(dir.Path));

        Assert.Contains("tokenizer.model", error.Message);
    }

    [Fact]
    public void Malformed_model_names_file()
    {
        using var dir = new TokenizerFolder();
        File.WriteAllText(dir.ModelPath, "this is not a protobuf");

        var error = Assert.Throws<CheckpointException>(() => JambaTokenizer.Load(dir.Path));

        Assert.Contains("tokenizer.model", error.Message);
    }

    [Fact]
    public void Missing_config_names_file()
    {
        using var dir = new TokenizerFolder();
        File.Delete(dir.ConfigPath);

        var error = Assert.Throws<CheckpointException>(() => JambaTokenizer.Load(dir.Path));

        Assert.Contains("tokenizer_config.json", error.Message);
    }

    [Fact]
    public void Malformed_config_names_file()
    {
        using var dir = new TokenizerFolder();
        File.WriteAllText(dir.ConfigPath, "{ \"add_bos_token\": ");

        var error = Assert.Throws<CheckpointException>(() => JambaTokenizer.Load(dir.Path));

        Assert.Contains("tokenizer_config.json", error.Message);
    }

    [Fact]
    public void Unknown_bos_token_names_field()
    {
        using var dir = new TokenizerFolder();
        File.WriteAllText(dir.ConfigPath, """{ "add_bos_token": true, "bos_token": "<s>" }""");

        var error = Assert.Throws<CheckpointException>(() => JambaTokenizer.Load(dir.Path));

        Assert.Contains("tokenizer_config.json", error.Message);
        Assert.Contains("bos_token '<s>'", error.Message);
    }

    [Fact]
    public void Absent_tokens_fall_back_to_config_json()
    {
        using var dir = new TokenizerFolder();
        File.WriteAllText(dir.ConfigPath, """{ "add_bos_token": true, "add_eos_token": true }""");

        var tokenizer = JambaTokenizer.Load(dir.Path);

        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal([1, 346, 2], tokenizer.Encode("LORD"));
    }

    [Fact]
    public void Added_token_objects_are_read()
    {
        using var dir = new TokenizerFolder();
        File.WriteAllText(dir.ConfigPath, """
            { "add_bos_token": false, "eos_token": { "__type": "AddedToken", "content": "<|endoftext|>" } }
            """);

        var tokenizer = JambaTokenizer.Load(dir.Path);

        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal([346], tokenizer.Encode("LORD"));
        Assert.Empty(tokenizer.Encode(""));
    }

    /// <summary>A temporary copy of the KJV model's tokenizer files, to damage one at a time.</summary>
    private sealed class TokenizerFolder : IDisposable
    {
        public TokenizerFolder()
        {
            Path = Directory.CreateTempSubdirectory("jamba-tokenizer-").FullName;
            foreach (var name in new[] { "tokenizer.model", "tokenizer_config.json", "config.json" })
            {
                File.Copy(System.IO.Path.Combine(Fixtures.Kjv, name), System.IO.Path.Combine(Path, name));
            }
        }

        public string Path { get; }

        public string ModelPath => System.IO.Path.Combine(Path, "tokenizer.model");

        public string ConfigPath => System.IO.Path.Combine(Path, "tokenizer_config.json");

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
