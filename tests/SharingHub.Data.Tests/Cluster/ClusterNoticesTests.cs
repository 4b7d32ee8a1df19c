using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Cluster;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Cluster;

/// <summary>
/// Two hub nodes on one PostgreSQL: a pair unlinked through one node stops showing at the other at once, not when the other
/// node's cached linkage read expires (30 s).
/// </summary>
public sealed class ClusterNoticesTests(Xunit.Abstractions.ITestOutputHelper output) : DatabaseTest(DatabaseEngine.Postgres)
{
    private static ClusterNotices Notices(IServiceProvider node) => new(node.GetRequiredService<IHubDbContextFactory>(), node.GetRequiredService<PersonLinker>(),
        node.GetRequiredService<DataKeyRing>(), NullLogger<ClusterNotices>.Instance);

    [Fact]
    public async Task Given_two_nodes_when_one_shreds_a_person_whose_keys_the_other_has_cached_then_the_other_stops_serving_them_within_seconds()
    {
        await using var other = await Database.StartServicesAsync(migrate: false);
        using var thereNotices = Notices(other);
        await thereNotices.StartAsync(CancellationToken.None);
        await thereNotices.Listening.WaitAsync(TimeSpan.FromSeconds(10));
        var builder = new RecordBuilder(Services.GetRequiredService<Core.Crypto.IFieldCipher>(), Services.GetRequiredService<Core.Crypto.IBlindIndexer>());
        var person = await Services.GetRequiredService<Core.Records.IRecordStore>().AddAsync(
            builder.Person(family: "Shredname", birthDate: "2014-04-14", identifier: "9990000042"), CancellationToken.None);
        var ring = other.GetRequiredService<DataKeyRing>();
        var keyIds = other.GetRequiredService<Core.Crypto.IDataKeyStore>().OfSubject(Core.Crypto.FieldContext.SubjectSuffix(person.Id)).Select(k => k.KeyId).ToList();
        Assert.NotEmpty(keyIds);
        // The other node has the person's keys unwrapped in its cache, good for a minute.
        Assert.All(keyIds, id => Assert.NotNull(ring.Find(id)));

        // Shredded through this node (as the CLI's keys shred --subject does, its audit writer started), which tells the others.
        var writer = Services.GetRequiredService<Data.Audit.AuditWriter>();
        await writer.StartAsync(CancellationToken.None);
        Assert.NotEmpty(await Services.GetRequiredService<Data.Keys.SubjectShredding>().ShredAsync(person.Id, "erasure request upheld", "ig-officer-1", CancellationToken.None));

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5) && keyIds.Any(id => ring.Find(id) is not null))
        {
            await Task.Delay(20);
        }
        output.WriteLine($"the other node stopped serving the shredded keys {clock.Elapsed.TotalMilliseconds:F1} ms after the shredding returned");
        Assert.All(keyIds, id => Assert.Null(ring.Find(id)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "well inside the key cache's minute");
        await writer.StopAsync(CancellationToken.None);
        await thereNotices.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Given_two_nodes_when_one_unlinks_a_pair_the_other_has_cached_then_the_other_stops_linking_them_within_seconds()
    {
        await using var other = await Database.StartServicesAsync(migrate: false);
        var here = Services.GetRequiredService<PersonLinker>();
        var there = other.GetRequiredService<PersonLinker>();
        using var hereNotices = Notices(Services);
        using var thereNotices = Notices(other);
        await hereNotices.StartAsync(CancellationToken.None);
        await thereNotices.StartAsync(CancellationToken.None);
        await Task.WhenAll(hereNotices.Listening, thereNotices.Listening).WaitAsync(TimeSpan.FromSeconds(10));

        var builder = new RecordBuilder(Services.GetRequiredService<Core.Crypto.IFieldCipher>(), Services.GetRequiredService<Core.Crypto.IBlindIndexer>());
        var store = Services.GetRequiredService<Core.Records.IRecordStore>();
        var health = await store.AddAsync(builder.Person(family: "Noticename", birthDate: "2012-12-12", identifier: "9990000026"), CancellationToken.None);
        var school = await store.AddAsync(builder.Person(agency: "education", family: "Noticename", birthDate: "2012-12-12", kind: Core.Records.IdentifierKind.Upn, identifier: "A801200120002"), CancellationToken.None);
        // The writes' own notices heard first: one arriving during the read below would leave it answered but not kept, and the
        // other node would then see the unlink without needing the notice this test is about.
        var settled = Stopwatch.StartNew();
        for (var last = -1L; settled.Elapsed < TimeSpan.FromSeconds(5) && thereNotices.Received != last; await Task.Delay(250))
        {
            last = thereNotices.Received;
        }
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
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"seen after {clock.Elapsed.TotalMilliseconds:F0} ms, well inside the cache's 30 s");
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(5) && thereNotices.Received <= heard; await Task.Delay(20))
        {
        }
        Assert.True(thereNotices.Received > heard, "the other node heard the change");
        await hereNotices.StopAsync(CancellationToken.None);
        await thereNotices.StopAsync(CancellationToken.None);
    }
}
