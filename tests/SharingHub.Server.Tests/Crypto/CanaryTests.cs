using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Identity;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Crypto;

/// <summary>
/// Distinctive sensitive values go in through the hub; then the raw SQLite file and its WAL, a
/// PostgreSQL dump, and every log line are searched for them. None may appear in plaintext.
/// </summary>
public abstract class CanaryTests(DatabaseEngine engine)
{
    private const string Control = "plain-ctl-42";

    private static readonly string[] Canaries =
    [
        "Zebedee-Quillfeather", "Canary Refuge, 17 Hidden Lane", "9990000026", "CANARY-DISCLOSURE-7781", "Ophelia Marchbanks-Vey",
    ];

    [Fact]
    public async Task Given_records_with_canary_values_then_no_canary_appears_in_the_database_files_a_dump_or_the_logs()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var logs = new CapturingLoggerProvider();
        var settings = new Dictionary<string, string?> { ["SharingHub:Identity:DevelopmentIdentityProvider"] = "true" };
        await using var hub = new LoggingHubFactory(database, settings, logs);
        using var client = hub.CreateClient();
        // A reader holding the database open keeps the WAL file on disk (SQLite removes it when the last connection closes).
        await using var holder = engine == DatabaseEngine.Sqlite ? new Microsoft.Data.Sqlite.SqliteConnection(database.ConnectionString) : null;
        if (holder is not null)
        {
            await holder.OpenAsync();
            await using var read = holder.CreateCommand();
            read.CommandText = "SELECT count(*) FROM \"Agencies\"";
            await read.ExecuteScalarAsync();
        }
        var build = new RecordBuilder(hub.Services.GetRequiredService<IFieldCipher>(), hub.Services.GetRequiredService<IBlindIndexer>());
        var store = hub.Services.GetRequiredService<IRecordStore>();

        var seeded = build.Person(agency: "la", given: Canaries[0], family: Canaries[4], identifier: Canaries[2]);
        // A control: a column that is not encrypted, so the scan is shown able to find plaintext at all.
        seeded.Sex = Control;
        var person = await store.AddAsync(seeded, CancellationToken.None);
        var address = build.Seal(person, nameof(Person.Address), Canaries[1]);
        await store.UpdateAsync<Person>(person.Id, 1, p => p.Address = address, CancellationToken.None);
        await store.AddAsync(build.Event(person, summary: Canaries[3]), CancellationToken.None);
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/me"))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + hub.Services.GetRequiredService<DevelopmentIdentityProvider>().IssueFor("demo-la-lcpp"));
            (await client.SendAsync(request)).Dispose();
        }

        var haystacks = new List<(string Where, string Text)> { ("logs", string.Join('\n', logs.Lines)) };
        if (engine == DatabaseEngine.Sqlite)
        {
            // Read the files while the hub still has them open: the WAL holds the recent pages.
            foreach (var file in Directory.GetFiles(database.Folder, "hub.db*"))
            {
                if (file.EndsWith(".node-lock", StringComparison.Ordinal))
                {
                    // The serving hub's exclusive lock (SQLite is one node): it cannot be opened while held, and holds nothing.
                    Assert.Equal(0, new FileInfo(file).Length);
                    continue;
                }
                var bytes = await ReadSharedAsync(file);
                haystacks.Add((Path.GetFileName(file), Encoding.UTF8.GetString(bytes)));
                haystacks.Add((Path.GetFileName(file) + " (UTF-16)", Encoding.Unicode.GetString(bytes)));
            }
            Assert.Contains(haystacks, h => h.Where.EndsWith("-wal", StringComparison.Ordinal));
        }
        else
        {
            var server = await PostgresServer.GetAsync();
            haystacks.Add(("pg_dump", await server.DumpAsync(new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!)));
        }

        Assert.Contains(haystacks, h => h.Where != "logs" && h.Text.Contains(Control, StringComparison.Ordinal));
        foreach (var (where, text) in haystacks)
        {
            foreach (var canary in Canaries)
            {
                Assert.False(text.Contains(canary, StringComparison.Ordinal), $"'{canary}' found in plaintext in {where}");
            }
        }
        Assert.NotEmpty(logs.Lines);
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private sealed class LoggingHubFactory(TestDatabase database, IReadOnlyDictionary<string, string?> settings, ILoggerProvider logs) : HubFactory(database, settings: settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        }
    }
}

public sealed class SqliteCanaryTests() : CanaryTests(DatabaseEngine.Sqlite);

public sealed class PostgresCanaryTests() : CanaryTests(DatabaseEngine.Postgres);

/// <summary>Every log line and exception text the hub writes, at every level, for tests that look for leaks.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Capturing(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Capturing(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception}");
    }
}
