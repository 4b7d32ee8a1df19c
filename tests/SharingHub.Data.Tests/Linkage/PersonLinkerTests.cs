using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Demo;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Linkage;

/// <summary>Linkage over the stored blind indexes, scored against the demo generator's ground truth (which records are one individual).</summary>
public abstract partial class PersonLinkerTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private static readonly DemoOptions Options = new() { Seed = 4242, Families = 12 };

    [Fact]
    public async Task Given_the_blocking_keys_then_each_is_looked_up_through_an_index_so_a_write_never_reads_every_person()
    {
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var indexes = db.Model.FindEntityType(typeof(Core.Records.Person))!.GetIndexes().Select(i => i.Properties.Select(p => p.Name).ToList()).ToList();

        foreach (var key in PersonLinker.BlockingColumns)
        {
            // An equality on every column of the key: an index whose leading columns are exactly those serves it.
            Assert.True(indexes.Any(index => index.Count >= key.Length && index.Take(key.Length).ToHashSet().SetEquals(key)),
                $"no index leads with ({string.Join(", ", key)}): each write would scan every person for it");
        }
        // A given name's frequency among everyone is counted through its own index.
        Assert.Contains(indexes, index => index[0] == nameof(Core.Records.Person.GivenNameIndex));
    }

    [Fact]
    public async Task Given_agencies_records_with_nicknames_typos_and_swapped_dates_then_no_false_link_and_most_true_links_found()
    {
        await Services.GetRequiredService<DemoDataLoader>().LoadAsync(Options, null, CancellationToken.None);
        var people = new DemoGenerator(Options).Generate().SelectMany(f => f.People).ToList();
        var truth = people.ToDictionary(p => p.Id, p => p.IndividualKey);
        var linker = Services.GetRequiredService<PersonLinker>();

        int truePairs = 0, found = 0, falseLinks = 0;
        foreach (var person in people)
        {
            var cluster = (await linker.LinkAsync([person.Id], CancellationToken.None)).Of(person.Id);
            var same = people.Where(p => p.IndividualKey == person.IndividualKey && p.Id != person.Id).Select(p => p.Id).ToHashSet();
            truePairs += same.Count;
            found += cluster.Count(same.Contains);
            falseLinks += cluster.Count(id => id != person.Id && truth[id] != person.IndividualKey);
        }

        Assert.Equal(0, falseLinks);
        Assert.True(truePairs > 100, $"the demo should give many cross-agency pairs, got {truePairs}");
        // Typos, swapped day and month, and missing addresses make some records unlinkable on purpose.
        Assert.InRange(found / (double)truePairs, 0.85, 1.0);
    }

    [Fact]
    public async Task Given_another_agencys_record_with_the_same_name_and_birth_date_then_linked_once_and_a_stranger_born_the_same_day_is_not()
    {
        var builder = new RecordBuilder(Services.GetRequiredService<Core.Crypto.IFieldCipher>(), Services.GetRequiredService<Core.Crypto.IBlindIndexer>());
        var store = Services.GetRequiredService<Core.Records.IRecordStore>();
        var alone = await store.AddAsync(builder.Person(family: "Uniquename", birthDate: "2011-11-11", identifier: "9990000018"), CancellationToken.None);
        var twin = await store.AddAsync(builder.Person(agency: "education", family: "Uniquename", birthDate: "2011-11-11", kind: Core.Records.IdentifierKind.Upn, identifier: "A801200110001"), CancellationToken.None);
        var stranger = await store.AddAsync(builder.Person(agency: "police", family: "Otherfamily", birthDate: "2011-11-11", kind: null), CancellationToken.None);

        var linked = await Services.GetRequiredService<PersonLinker>().LinkAsync([alone.Id], CancellationToken.None);

        Assert.Equal(new HashSet<Guid> { alone.Id, twin.Id }, linked.Of(alone.Id));
        Assert.DoesNotContain(stranger.Id, linked.Of(alone.Id));
        Assert.Equal(Core.People.LinkBasis.Probabilistic, Assert.Single(linked.Links).Basis);
    }

    [Fact]
    public async Task Given_a_new_record_then_the_records_under_all_its_blocking_keys_are_read_in_one_statement_and_it_links()
    {
        var builder = new RecordBuilder(Services.GetRequiredService<Core.Crypto.IFieldCipher>(), Services.GetRequiredService<Core.Crypto.IBlindIndexer>());
        var health = await Services.GetRequiredService<Core.Records.IRecordStore>().AddAsync(
            builder.Person(family: "Onestatement", birthDate: "2013-03-04", identifier: "9990000018"), CancellationToken.None);
        var commands = new CommandTexts();
        await using var watched = await Database.StartServicesAsync(migrate: false, interceptor: commands);

        var school = await watched.GetRequiredService<Core.Records.IRecordStore>().AddAsync(
            builder.Person(agency: "education", family: "Onestatement", birthDate: "2013-03-04", kind: Core.Records.IdentifierKind.Upn, identifier: "A801200110001"),
            CancellationToken.None);

        // Every key's lookup (the birth date with the family name's sound, with the given name, with the postcode; the
        // swapped date; the month with both names; the UPN) in one statement: it was a statement for each.
        var blocking = commands.Texts.Where(t => t.Contains("\"BirthDateIndex\" = @", StringComparison.Ordinal)).ToList();
        var one = Assert.Single(blocking);
        Assert.Contains("\"BirthDateSwappedIndex\" = @", one, StringComparison.Ordinal);
        Assert.Contains("\"PersonIdentifiers\"", one, StringComparison.Ordinal);
        var linked = await Services.GetRequiredService<PersonLinker>().LinkAsync([health.Id], CancellationToken.None);
        Assert.Equal(new HashSet<Guid> { health.Id, school.Id }, linked.Of(health.Id));
    }

    [Fact]
    public async Task Given_a_linkage_read_under_way_when_the_pair_it_reads_is_unlinked_then_its_stale_answer_is_not_kept_for_the_next_read()
    {
        var hold = new HoldFirstPairsRead();
        await using var services = await Database.StartServicesAsync(migrate: false, interceptor: hold);
        var builder = new RecordBuilder(services.GetRequiredService<Core.Crypto.IFieldCipher>(), services.GetRequiredService<Core.Crypto.IBlindIndexer>());
        var store = services.GetRequiredService<Core.Records.IRecordStore>();
        var linker = services.GetRequiredService<PersonLinker>();
        var health = await store.AddAsync(builder.Person(family: "Racename", birthDate: "2013-03-13", identifier: "9990000034"), CancellationToken.None);
        var school = await store.AddAsync(builder.Person(agency: "education", family: "Racename", birthDate: "2013-03-13", kind: Core.Records.IdentifierKind.Upn, identifier: "A801200130003"), CancellationToken.None);

        // A read of the links has read the pair (still linked) and is paused before it finishes.
        hold.Armed = 1;
        var underWay = linker.LinkAsync([health.Id], CancellationToken.None);
        await hold.Reached.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await using (var db = services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            var pair = await db.PersonPairs.SingleAsync(p => (p.PersonA == health.Id && p.PersonB == school.Id) || (p.PersonA == school.Id && p.PersonB == health.Id));
            pair.State = PairState.Unlinked;
            pair.Version++;
            await db.SaveChangesAsync();
        }
        linker.Forget();
        hold.Release.SetResult();
        Assert.Contains(school.Id, (await underWay).Of(health.Id));

        // The next read is not answered from the paused read's result: the pair is unlinked.
        Assert.DoesNotContain(school.Id, (await linker.LinkAsync([health.Id], CancellationToken.None)).Of(health.Id));
    }

    /// <summary>Pauses the first read of stored pairs after it has run, once armed, until released.</summary>
    private sealed class HoldFirstPairsRead : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        public int Armed;
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask<System.Data.Common.DbDataReader> ReaderExecutedAsync(System.Data.Common.DbCommand command,
            Microsoft.EntityFrameworkCore.Diagnostics.CommandExecutedEventData eventData, System.Data.Common.DbDataReader result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains("\"PersonPairs\"", StringComparison.Ordinal) && Interlocked.Exchange(ref Armed, 0) == 1)
            {
                Reached.SetResult();
                await Release.Task;
            }
            return result;
        }
    }

    /// <summary>The text of every command EF runs.</summary>
    private sealed class CommandTexts : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Texts { get; } = new();

        public override ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(
            System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData eventData,
            Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Texts.Enqueue(command.CommandText);
            return ValueTask.FromResult(result);
        }
    }

    [Fact]
    public async Task Given_a_backfill_of_a_record_like_two_children_with_their_own_nhs_numbers_then_it_joins_neither_to_the_other_and_waits_for_a_person()
    {
        var builder = new RecordBuilder(Services.GetRequiredService<Core.Crypto.IFieldCipher>(), Services.GetRequiredService<Core.Crypto.IBlindIndexer>());
        var store = Services.GetRequiredService<Core.Records.IRecordStore>();
        // Two children health knows apart (their own NHS numbers) and a school record of a child like both.
        var first = await store.AddAsync(builder.Person(family: "Samename", birthDate: "2012-12-12", identifier: "9990000018"), CancellationToken.None);
        var second = await store.AddAsync(builder.Person(family: "Samename", birthDate: "2012-12-12", identifier: "9434765919"), CancellationToken.None);
        var school = await store.AddAsync(builder.Person(agency: "education", family: "Samename", birthDate: "2012-12-12", kind: Core.Records.IdentifierKind.Upn, identifier: "A801200110001"), CancellationToken.None);
        // As a database written before probabilistic linkage (or a demo load): no pairs yet, everyone linked at once.
        await using (var db = Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            await db.PersonPairs.ExecuteDeleteAsync();
        }
        var linker = Services.GetRequiredService<PersonLinker>();

        await linker.LinkAllAsync(CancellationToken.None);

        var ofFirst = await linker.LinkAsync([first.Id], CancellationToken.None);
        var ofSecond = await linker.LinkAsync([second.Id], CancellationToken.None);
        Assert.DoesNotContain(second.Id, ofFirst.Of(first.Id));
        Assert.DoesNotContain(first.Id, ofSecond.Of(second.Id));
        await using var read = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var held = await read.PersonPairs.Where(p => p.Outcome == PairOutcome.Review).ToListAsync();
        Assert.Contains(held, p => p.Evidence.Contains("different verified identifiers", StringComparison.Ordinal)
            && (p.PersonA == school.Id || p.PersonB == school.Id));
        // Each child's chronology says records may be missing while the school's record waits.
        Assert.True(ofFirst.MayBeIncomplete(first.Id));
        Assert.True(ofSecond.MayBeIncomplete(second.Id));
    }
}

public abstract partial class PersonLinkerTests
{
    [Fact]
    public async Task Given_records_stored_before_family_names_were_compared_a_letter_apart_then_start_up_gives_them_their_variants_and_a_new_record_a_letter_off_links()
    {
        var cipher = Services.GetRequiredService<Core.Crypto.IFieldCipher>();
        var indexer = Services.GetRequiredService<Core.Crypto.IBlindIndexer>();
        var builder = new RecordBuilder(cipher, indexer);
        var store = Services.GetRequiredService<Core.Records.IRecordStore>();
        var council = await store.AddAsync(builder.Person(agency: "la", given: "Ella", family: "Thomas", birthDate: "2017-03-14",
            kind: Core.Records.IdentifierKind.LaPersonId, identifier: "5550001"), CancellationToken.None);
        await using (var db = Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            // As a database written before this level: encoded, linked, but no variants.
            Assert.Equal(1, await db.People.ExecuteUpdateAsync(s => s.SetProperty(p => p.FamilyVariantIndexes, (byte[]?)null)));
        }

        await Services.GetRequiredService<LinkageBackfill>().RunAsync(CancellationToken.None);

        await using (var db = Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            var stored = await db.People.AsNoTracking().SingleAsync(p => p.Id == council.Id);
            Assert.Equal(new Core.People.LinkageEncoder(indexer).FamilyVariants("Thomas"), stored.FamilyVariantIndexes);
        }
        // Health writes her with two letters swapped and no address: the name a letter apart carries the link.
        var health = await store.AddAsync(builder.Person(agency: "health", given: "Ella", family: "Tohmas", birthDate: "2017-03-14", identifier: "9990000026"),
            CancellationToken.None);
        var linked = await Services.GetRequiredService<PersonLinker>().LinkAsync([council.Id], CancellationToken.None);
        Assert.Contains(health.Id, linked.Of(council.Id));
        await using var check = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var (a, b) = PersonPair.Ordered(council.Id, health.Id);
        Assert.Contains("a letter apart", (await check.PersonPairs.SingleAsync(p => p.PersonA == a && p.PersonB == b)).Evidence, StringComparison.Ordinal);
    }
}

public abstract partial class PersonLinkerTests
{
    [Fact]
    public async Task Given_a_current_database_then_start_up_looks_for_records_awaiting_their_family_variants_in_their_own_index_not_through_everyone()
    {
        // The query start-up runs on every start, planned by the engine as it would run it (parameters bound).
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        await using var command = LinkageBackfill.AwaitingFamilyVariants(db.People, [Guid.NewGuid()]).CreateDbCommand();
        await db.Database.OpenConnectionAsync();
        if (Engine == DatabaseEngine.Postgres)
        {
            // A test's table is small enough that a sequential scan would win anyway; asked not to, the planner shows
            // which index answers the condition.
            await db.Database.ExecuteSqlRawAsync("SET enable_seqscan = off");
            command.CommandText = "EXPLAIN " + command.CommandText;
        }
        else
        {
            command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        }
        var plan = new System.Text.StringBuilder();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.AppendLine(reader.GetValue(reader.FieldCount - 1).ToString());
            }
        }

        // Without the partial index this read every person at each start: 19 s cold, 2.7 s warm, for a million on SQLite.
        Assert.Contains("IX_People_AwaitingFamilyVariants", plan.ToString(), StringComparison.Ordinal);
    }
}

public abstract partial class PersonLinkerTests
{
    [Fact]
    public async Task Given_the_partnership_sets_a_higher_link_threshold_then_a_pair_the_default_links_waits_for_its_data_team()
    {
        var linker = Services.GetRequiredService<PersonLinker>();
        var (council, school) = await TwoRecordsOfOneChildAsync(Services, "Thomas");
        Assert.Contains(school, (await linker.LinkAsync([council], CancellationToken.None)).Of(council));

        // The same kind of pair, scored with the partnership's thresholds: it links only from 0.999999999.
        await using var tuned = await Database.StartServicesAsync(migrate: false, settings: new Dictionary<string, string?>
        {
            ["SharingHub:Linkage:LinkAbove"] = "0.999999999",
            ["SharingHub:Linkage:ReviewAbove"] = "0.5",
        });
        var (tunedCouncil, tunedSchool) = await TwoRecordsOfOneChildAsync(tuned, "Halcroft");

        Assert.DoesNotContain(tunedSchool, (await tuned.GetRequiredService<PersonLinker>().LinkAsync([tunedCouncil], CancellationToken.None)).Of(tunedCouncil));
        await using var db = tuned.GetRequiredService<IHubDbContextFactory>().Create();
        var (a, b) = PersonPair.Ordered(tunedCouncil, tunedSchool);
        var pair = await db.PersonPairs.SingleAsync(p => p.PersonA == a && p.PersonB == b);
        Assert.Equal(PairOutcome.Review, pair.Outcome);
    }

    [Fact]
    public async Task Given_a_hub_still_filling_up_when_the_partnership_says_how_many_records_it_will_hold_then_a_name_and_birth_date_alone_wait_for_review()
    {
        // Two records of one name, given name, sex and birth date, no address nor shared identifier: on a hub holding a handful
        // of records that is enough to link (above), since the prior is for the records held so far.
        var linker = Services.GetRequiredService<PersonLinker>();
        var (council, school) = await TwoRecordsOfOneChildAsync(Services, "Thomas");
        Assert.Contains(school, (await linker.LinkAsync([council], CancellationToken.None)).Of(council));

        // The same pair on a hub that will hold two million records: among them a namesake born the same day is to be expected,
        // so the pair waits for the data team instead of linking, however few records are in yet.
        await using var sized = await Database.StartServicesAsync(migrate: false, settings: new Dictionary<string, string?>
        {
            ["SharingHub:Linkage:ExpectedRecords"] = "2000000",
        });
        var (sizedCouncil, sizedSchool) = await TwoRecordsOfOneChildAsync(sized, "Halcroft");

        Assert.DoesNotContain(sizedSchool, (await sized.GetRequiredService<PersonLinker>().LinkAsync([sizedCouncil], CancellationToken.None)).Of(sizedCouncil));
        await using var db = sized.GetRequiredService<IHubDbContextFactory>().Create();
        var (a, b) = PersonPair.Ordered(sizedCouncil, sizedSchool);
        var pair = await db.PersonPairs.SingleAsync(p => p.PersonA == a && p.PersonB == b);
        Assert.Equal(PairOutcome.Review, pair.Outcome);
    }

    [Theory]
    [InlineData("0", "SharingHub:Linkage:ExpectedRecords")]
    [InlineData("-5", "SharingHub:Linkage:ExpectedRecords")]
    public async Task Given_an_expected_population_that_is_not_a_number_of_records_then_the_data_services_refuse_to_start(string expected, string named)
    {
        await using var services = await Database.StartServicesAsync(migrate: false, settings: new Dictionary<string, string?>
        {
            ["SharingHub:Linkage:ExpectedRecords"] = expected,
        });

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LinkageOptions>>().Value);
        Assert.Contains(named.Split(':')[1], error.Message, StringComparison.Ordinal);
        Assert.Contains("ExpectedRecords, if set, a number of records above 0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.95", null)]
    [InlineData("0.9", "0.95")]
    [InlineData("1.5", "0.9")]
    public async Task Given_thresholds_set_half_or_the_wrong_way_round_then_the_data_services_refuse_to_start_and_say_which(string? link, string? review)
    {
        await using var services = await Database.StartServicesAsync(migrate: false, settings: new Dictionary<string, string?>
        {
            ["SharingHub:Linkage:LinkAbove"] = link,
            ["SharingHub:Linkage:ReviewAbove"] = review,
        });

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LinkageOptions>>().Value);
        Assert.Contains("SharingHub:Linkage", error.Message, StringComparison.Ordinal);
        Assert.Contains("ReviewAbove below LinkAbove", error.Message, StringComparison.Ordinal);
    }

    private static async Task<(Guid Council, Guid School)> TwoRecordsOfOneChildAsync(IServiceProvider services, string family)
    {
        var builder = new RecordBuilder(services.GetRequiredService<Core.Crypto.IFieldCipher>(), services.GetRequiredService<Core.Crypto.IBlindIndexer>());
        var store = services.GetRequiredService<Core.Records.IRecordStore>();
        var council = await store.AddAsync(builder.Person(agency: "la", given: "Ella", family: family, birthDate: "2017-03-14",
            kind: Core.Records.IdentifierKind.LaPersonId, identifier: "5550001" + family.Length), CancellationToken.None);
        var school = await store.AddAsync(builder.Person(agency: "education", given: "Ella", family: family, birthDate: "2017-03-14",
            kind: Core.Records.IdentifierKind.Upn, identifier: "A80120011000" + family.Length), CancellationToken.None);
        return (council.Id, school.Id);
    }
}

public sealed class SqlitePersonLinkerTests() : PersonLinkerTests(DatabaseEngine.Sqlite);

public sealed class PostgresPersonLinkerTests() : PersonLinkerTests(DatabaseEngine.Postgres);
