using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SharingHub.Data.Cluster;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Cluster;

/// <summary>
/// Two hub nodes on one PostgreSQL: a pair unlinked through one node stops showing at the other at once, not when the other
/// node's cached linkage read expires (30 s).
/// </summary>
public sealed class LinkChangeNoticesTests(Xunit.Abstractions.ITestOutputHelper output) : DatabaseTest(DatabaseEngine.Postgres)
{
    [Fact]
    public async Task Given_two_nodes_when_one_unlinks_a_pair_the_other_has_cached_then_the_other_stops_linking_them_within_seconds()
    {
        await using var other = await Database.StartServicesAsync(migrate: false);
        var here = Services.GetRequiredService<PersonLinker>();
        var there = other.GetRequiredService<PersonLinker>();
        using var hereNotices = new LinkChangeNotices(Services.GetRequiredService<IHubDbContextFactory>(), here, NullLogger<LinkChangeNotices>.Instance);
        using var thereNotices = new LinkChangeNotices(other.GetRequiredService<IHubDbContextFactory>(), there, NullLogger<LinkChangeNotices>.Instance);
        await hereNotices.StartAsync(CancellationToken.None);
        await thereNotices.StartAsync(CancellationToken.None);
        await Task.WhenAll(hereNotices.Listening, thereNotices.Listening).WaitAsync(TimeSpan.FromSeconds(10));

        var builder = new RecordBuilder(Services.GetRequiredService<Core.Crypto.IFieldCipher>(), Services.GetRequiredService<Core.Crypto.IBlindIndexer>());
        var store = Services.GetRequiredService<Core.Records.IRecordStore>();
        var health = await store.AddAsync(builder.Person(family: "Noticename", birthDate: "2012-12-12", identifier: "9990000026"), CancellationToken.None);
        var school = await store.AddAsync(builder.Person(agency: "education", family: "Noticename", birthDate: "2012-12-12", kind: Core.Records.IdentifierKind.Upn, identifier: "A801200120002"), CancellationToken.None);
        // The other node links them, and keeps that read.
        Assert.Contains(school.Id, (await there.LinkAsync([health.Id], CancellationToken.None)).Of(health.Id));
        var heard = thereNotices.Received;

        // Unlinked through this node, as the review endpoint does: the pair decided, then this node's cache cleared.
        await using (var db = Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            var pair = await db.PersonPairs.SingleAsync(p => (p.PersonA == health.Id && p.PersonB == school.Id) || (p.PersonA == school.Id && p.PersonB == health.Id));
            pair.State = PairState.Unlinked;
            pair.DecidedBy = "data-team-1";
            pair.DecidedAt = DateTimeOffset.UtcNow;
            pair.Reason = "two children: different schools' records";
            pair.Version++;
            await db.SaveChangesAsync();
        }
        here.Forget();

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5) && (await there.LinkAsync([health.Id], CancellationToken.None)).Of(health.Id).Contains(school.Id))
        {
            await Task.Delay(20);
        }

        output.WriteLine($"the other node stopped linking the pair {clock.Elapsed.TotalMilliseconds:F1} ms after the unlinking node cleared its cache");
        Assert.DoesNotContain(school.Id, (await there.LinkAsync([health.Id], CancellationToken.None)).Of(health.Id));
        Assert.True(thereNotices.Received > heard, "the other node heard the change");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"seen after {clock.Elapsed.TotalMilliseconds:F0} ms, well inside the cache's 30 s");
        await hereNotices.StopAsync(CancellationToken.None);
        await thereNotices.StopAsync(CancellationToken.None);
    }
}
