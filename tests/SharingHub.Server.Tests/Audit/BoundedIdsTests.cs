using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SharingHub.Server.Audit;

namespace SharingHub.Server.Tests.Audit;

/// <summary>An audit line names up to 100 records; a broader one keeps the first, the count and a digest of all (issue 18, item 9).</summary>
public sealed class BoundedIdsTests
{
    [Fact]
    public void Given_a_few_ids_then_the_line_lists_them_all()
    {
        var ids = new BoundedIds();
        var all = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        all.ForEach(ids.Add);

        using var written = JsonDocument.Parse(JsonSerializer.Serialize(new { ids }));

        Assert.Equal(all, written.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetGuid()));
    }

    [Fact]
    public void Given_thousands_of_ids_then_the_line_stays_small_and_its_digest_proves_which_records_it_covered()
    {
        var ids = new BoundedIds();
        var all = Enumerable.Range(0, 2_000).Select(_ => Guid.NewGuid()).ToList();
        all.ForEach(ids.Add);

        var json = JsonSerializer.Serialize(new { ids });
        using var written = JsonDocument.Parse(json);

        var line = written.RootElement.GetProperty("ids");
        Assert.Equal(2_000, line.GetProperty("count").GetInt32());
        Assert.Equal(all.Take(BoundedIds.MaxListed), line.GetProperty("first").EnumerateArray().Select(e => e.GetGuid()));
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(string.Concat(all.Order().Select(i => i.ToString("D") + "\n")))));
        Assert.Equal(expected, line.GetProperty("sha256").GetString());
        Assert.True(json.Length < 5_000, $"{json.Length} characters");
    }
}
