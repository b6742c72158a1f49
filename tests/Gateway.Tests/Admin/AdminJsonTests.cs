using System.Text;
using System.Text.Json;
using ZkGateway.Gateway.Admin;

namespace ZkGateway.Gateway.Tests.Admin;

/// <summary>CommandResponse.toMap and Jackson's output: field order, the error slot, doubles as floats.</summary>
public sealed class AdminJsonTests
{
    [Fact]
    public void Command_and_error_follow_the_fields_and_doubles_keep_a_decimal_point()
    {
        string json = Encoding.UTF8.GetString(AdminJson.Response("monitor", null, [new("avg_latency", 0.0), new("znode_count", 5L), new("read_only", false)]));
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(["avg_latency", "znode_count", "read_only", "command", "error"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("0.0", doc.RootElement.GetProperty("avg_latency").GetRawText());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("error").ValueKind);
    }

    [Fact]
    public void A_commands_own_error_field_keeps_its_place_and_value()
    {
        string json = Encoding.UTF8.GetString(AdminJson.Response("leader", null, [new("error", "server is not initialized")]));
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(["error", "command"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("server is not initialized", doc.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public void The_command_page_links_every_primary_name_sorted()
    {
        string page = Encoding.UTF8.GetString(AdminJson.Links("/commands", ["stats", "dirs", "ruok"]));
        Assert.Equal("<a href=\"/commands/dirs\">dirs</a>\n<br/>\n<a href=\"/commands/ruok\">ruok</a>\n<br/>\n<a href=\"/commands/stats\">stats</a>\n<br/>\n", page);
    }

    [Fact]
    public void Every_alias_is_unique_and_finds_its_command()
    {
        var names = AdminCommands.All.SelectMany(c => c.Aliases.Prepend(c.PrimaryName)).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(AdminCommands.All, c => Assert.All(c.Aliases, a => Assert.Same(c, AdminCommands.Find(a))));
        Assert.Null(AdminCommands.Find("RUOK"));
    }
}
