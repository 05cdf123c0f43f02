using Jamba.Actors.Placement;
using Jamba.Engine.Loading;

namespace Jamba.Actors.Tests;

public sealed class PlacementPlanTests : IDisposable
{
    private readonly JambaConfig _config = JambaConfig.Load(Path.Combine(TestPaths.TinyMoe, "config.json"));
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"placement-{Guid.NewGuid():N}.json");

    [Fact]
    public void Default_plan_is_one_group()
    {
        var plan = PlacementPlan.Default(_config);

        var group = Assert.Single(plan.LayerGroups);
        Assert.Equal((0, 8, "layers"), (group.FirstLayer, group.EndLayer, group.Role));
        Assert.Equal([1, 3, 5, 7], Assert.Single(plan.Experts).Layers);
        Assert.Equal(16, plan.ExpertIds.Count());
    }

    [Fact]
    public void Cluster_size_splits_layers()
    {
        var plan = PlacementPlan.ForClusterSize(_config, 3);

        Assert.Equal(["0-1", "2-4", "5-7"], plan.LayerGroups.Select(g => g.Name));
        Assert.Equal(3, plan.NodeRoles!.Count);
        var text = plan.Describe();
        Assert.Contains("layers 0-1 + embedding on role 'layers-1'", text);
        Assert.Contains("layers 5-7 + head on role 'layers-3'", text);
        Assert.Contains("node 1: roles layers-1, experts, sessions", text);
    }

    [Fact]
    public void Cluster_size_of_zero_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PlacementPlan.ForClusterSize(_config, 0));
    }

    [Fact]
    public void File_plan_is_loaded()
    {
        var plan = PlacementPlan.Load(Path.Combine(AppContext.BaseDirectory, "placement-three-nodes.json"), _config);

        Assert.Equal(["layers-a", "layers-b"], plan.LayerGroups.Select(g => g.Role));
        Assert.Equal("experts", Assert.Single(plan.Experts).Role);
    }

    [Theory]
    [InlineData("""{ "layerGroups": [ { "role": "a", "firstLayer": 0, "endLayer": 5 }, { "role": "b", "firstLayer": 4, "endLayer": 8 } ] }""", "does not continue at layer 5")]
    [InlineData("""{ "layerGroups": [ { "role": "a", "firstLayer": 0, "endLayer": 6 } ] }""", "end at layer 6")]
    [InlineData("""{ "layerGroups": [ { "role": "a", "firstLayer": 0, "endLayer": 8 } ], "experts": [ { "role": "e", "layers": [1, 2] } ] }""", "layer 2, which is not a MoE layer")]
    [InlineData("""{ "layerGroups": [ { "role": "a", "firstLayer": 0, "endLayer": 8 } ], "experts": [ { "role": "e", "layers": [1, 3] } ] }""", "MoE layer(s) 5, 7 have no placement")]
    [InlineData("""{ "layerGroups": [ { "role": "a b", "firstLayer": 0, "endLayer": 8 } ] }""", "invalid role 'a b'")]
    [InlineData("""{ "layerGroups": [], "extra": 1 }""", "invalid placement JSON")]
    [InlineData("""{ "layerGroups": [] }""", "\"layerGroups\" is missing or empty")]
    public void Invalid_file_names_fault(string json, string expected)
    {
        File.WriteAllText(_file, json);

        var error = Assert.Throws<PlacementException>(() => PlacementPlan.Load(_file, _config));

        Assert.Contains(expected, error.Message);
        Assert.StartsWith(_file, error.Message);
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        var error = Assert.Throws<PlacementException>(() => PlacementPlan.Load(_file, _config));

        Assert.Contains("not found", error.Message);
    }

    public void Dispose() => File.Delete(_file);
}
