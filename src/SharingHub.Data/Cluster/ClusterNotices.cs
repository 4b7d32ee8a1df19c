using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Cluster;

/// <summary>
/// Several hub nodes (and the CLI) on one PostgreSQL tell each other of changes their caches must not outlive, with
/// <c>NOTIFY</c>, delivered on commit; every node <c>LISTEN</c>s on a connection of its own:
/// <list type="bullet">
/// <item><see cref="Links"/>: stored links changed (a person written, a pair confirmed, rejected or unlinked, a person
/// erased). Each node clears its cache of linkage reads (<see cref="PersonLinker"/>); before, another node kept showing an
/// unlinked pair's records for up to <see cref="PersonLinker.CacheFor"/>. A node sends it, coalesced and off the request,
/// whenever its linker's cache is cleared.</item>
/// <item><see cref="Keys"/>: data keys destroyed (crypto-shredding) or a key-encryption key revoked, by a node or the CLI.
/// Each node checks every cached data key against the store at its next use (<see cref="DataKeyRing.RecheckAll"/>);
/// before, a key shredded elsewhere was served for up to a minute.</item>
/// </list>
/// A notice carries only the sending node's random id (a node ignores its own link notices), never a person, pair or key.
/// If the listening connection is lost the node clears what it caches and listens again; until then the caches' own
/// bounds hold (30 s for links, a minute for keys). Nothing to do on SQLite, which runs one node.
/// </summary>
public sealed class ClusterNotices(IHubDbContextFactory contexts, PersonLinker linker, DataKeyRing keys, ILogger<ClusterNotices> logger) : QuietlyStoppedService
{
    /// <summary>Stored links changed.</summary>
    public const string Links = "sharinghub_links";

    /// <summary>Data keys destroyed or a key-encryption key revoked.</summary>
    public const string Keys = "sharinghub_keys";

    /// <summary>How long the listener waits for a notice before it checks that its connection still answers.</summary>
    internal static TimeSpan CheckEvery { get; set; } = TimeSpan.FromSeconds(30);

    private readonly string _node = Guid.NewGuid().ToString("N");
    private readonly Channel<bool> _linksChanged = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _received;

    /// <summary>Completes once the node listens (tests wait for it).</summary>
    internal Task Listening => _listening.Task;

    /// <summary>Notices received from others.</summary>
    internal long Received => Interlocked.Read(ref _received);

    /// <summary>
    /// Tells every hub node on this PostgreSQL database of a change on <paramref name="channel"/> (delivered when
    /// <paramref name="db"/>'s transaction commits, at once outside one). Nothing on SQLite.
    /// </summary>
    public static async Task SendAsync(HubDbContext db, string channel, CancellationToken cancellationToken, string payload = "")
    {
        ArgumentNullException.ThrowIfNull(db);
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({channel}, {payload})", cancellationToken);
        }
    }

    /// <summary>
    /// Tells every hub node on this PostgreSQL database of a change on each of <paramref name="channels"/>, after the change
    /// has committed (a shredding, a revocation, the CLI's): whether they were told. Not on SQLite (one node), nor when the
    /// database could not be reached; then the other nodes see the change within their caches' bounds.
    /// </summary>
    public static async Task<bool> TellAsync(IHubDbContextFactory contexts, CancellationToken cancellationToken, params string[] channels)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        if (contexts.Engine != DatabaseEngine.Postgres)
        {
            return false;
        }
        try
        {
            await using var db = contexts.Create();
            foreach (var channel in channels)
            {
                await SendAsync(db, channel, cancellationToken);
            }
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        if (contexts.Engine != DatabaseEngine.Postgres)
        {
            return;
        }
        void Changed() => _linksChanged.Writer.TryWrite(true);
        linker.Forgotten += Changed;
        try
        {
            await Task.WhenAll(SendLinksAsync(stoppingToken), ListenAsync(stoppingToken));
        }
        finally
        {
            linker.Forgotten -= Changed;
        }
    }

    private async Task SendLinksAsync(CancellationToken stoppingToken)
    {
        await foreach (var _ in _linksChanged.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await using var db = contexts.Create();
                await SendAsync(db, Links, stoppingToken, _node);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // The other nodes see the change within the cache's bound instead.
                logger.LogWarning("Other hub nodes were not told of a linkage change ({Error}); they see it within {Seconds} s", e.GetType().Name,
                    PersonLinker.CacheFor.TotalSeconds);
            }
        }
    }

    private void Heard(NpgsqlNotificationEventArgs notice)
    {
        if (notice.Payload == _node)
        {
            return;
        }
        // Counted before it is acted on: whoever sees its effect sees it counted.
        Interlocked.Increment(ref _received);
        if (notice.Channel == Keys)
        {
            keys.RecheckAll();
        }
        else
        {
            linker.ForgetHere();
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        string connectionString;
        await using (var db = contexts.Create())
        {
            connectionString = db.Database.GetConnectionString()!;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                connection.Notification += (_, notice) => Heard(notice);
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {Links}; LISTEN {Keys}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // Whatever changed while this node was not listening: start afresh.
                linker.ForgetHere();
                keys.RecheckAll();
                _listening.TrySetResult();
                while (true)
                {
                    if (!await connection.WaitAsync(CheckEvery, stoppingToken))
                    {
                        await using var check = new NpgsqlCommand("SELECT 1", connection);
                        await check.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException && !stoppingToken.IsCancellationRequested)
            {
                linker.ForgetHere();
                keys.RecheckAll();
                logger.LogWarning("Not listening for other hub nodes' changes ({Error}); listening again shortly, meanwhile links are seen within {Seconds} s and keys within a minute",
                    e.GetType().Name, PersonLinker.CacheFor.TotalSeconds);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
