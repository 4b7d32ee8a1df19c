using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Cluster;

/// <summary>
/// Several hub nodes on one PostgreSQL: when this node changes stored links (a person written, a pair confirmed, rejected or
/// unlinked, a person erased) it tells the others with <c>NOTIFY</c>, and it listens for theirs, clearing its own cache of
/// linkage reads (<see cref="PersonLinker"/>) when one comes. Before, another node kept showing an unlinked pair's records
/// for up to <see cref="PersonLinker.CacheFor"/>. The notice carries only this node's random id (so a node ignores its own),
/// never a person or a pair. Sending is coalesced and off the request: a burst of writes sends one notice after the last
/// has committed. If the listening connection is lost the node clears its cache and listens again; until then it falls
/// back to the cache's 30-second bound. Nothing to do on SQLite, which runs one node.
/// </summary>
public sealed class LinkChangeNotices(IHubDbContextFactory contexts, PersonLinker linker, ILogger<LinkChangeNotices> logger) : BackgroundService
{
    /// <summary>The PostgreSQL notification channel.</summary>
    public const string ChannelName = "sharinghub_links";

    /// <summary>How long the listener waits for a notice before it checks that its connection still answers.</summary>
    internal static TimeSpan CheckEvery { get; set; } = TimeSpan.FromSeconds(30);

    private readonly string _node = Guid.NewGuid().ToString("N");
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the node listens (tests wait for it).</summary>
    internal Task Listening => _listening.Task;

    /// <summary>Notices received from other nodes.</summary>
    internal long Received => Interlocked.Read(ref _received);

    private long _received;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (contexts.Engine != DatabaseEngine.Postgres)
        {
            return;
        }
        void Changed() => _changed.Writer.TryWrite(true);
        linker.Forgotten += Changed;
        try
        {
            await Task.WhenAll(SendAsync(stoppingToken), ListenAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            linker.Forgotten -= Changed;
        }
    }

    private async Task SendAsync(CancellationToken stoppingToken)
    {
        await foreach (var _ in _changed.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await using var db = contexts.Create();
                await db.Database.ExecuteSqlAsync($"SELECT pg_notify({ChannelName}, {_node})", stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // The other nodes see the change within the cache's bound instead.
                logger.LogWarning("Other hub nodes were not told of a linkage change ({Error}); they see it within {Seconds} s", e.GetType().Name,
                    PersonLinker.CacheFor.TotalSeconds);
            }
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
                connection.Notification += (_, notice) =>
                {
                    if (notice.Payload != _node)
                    {
                        linker.ForgetHere();
                        Interlocked.Increment(ref _received);
                    }
                };
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {ChannelName}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // Whatever changed while this node was not listening: start afresh.
                linker.ForgetHere();
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
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or System.IO.IOException && !stoppingToken.IsCancellationRequested)
            {
                linker.ForgetHere();
                logger.LogWarning("Not listening for other hub nodes' linkage changes ({Error}); listening again shortly, meanwhile they are seen within {Seconds} s",
                    e.GetType().Name, PersonLinker.CacheFor.TotalSeconds);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
