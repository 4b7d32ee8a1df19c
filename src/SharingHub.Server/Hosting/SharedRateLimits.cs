using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data;
using SharingHub.Data.Cluster;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Hosting;

/// <summary>
/// Each caller's requests in the current minute, counted here and, on PostgreSQL (where several hub nodes may share the
/// database), summed with the other nodes' counts: every second each node adds what it counted to the caller's row
/// (one upsert) and reads back the total. A caller is refused when this node's count and the others' last known count
/// reach the limit, so N nodes allow the limit plus at most what the other nodes admitted in the last second, not N
/// times the limit. On SQLite (one node) nothing is written. Counts in memory are exact for this node.
/// </summary>
internal sealed class SharedRateCounters(IHubDbContextFactory contexts, TimeProvider clock, ILogger<SharedRateCounters> logger) : QuietlyStoppedService
{
    private static readonly TimeSpan SyncEvery = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);
    private long _sweptWindow;

    /// <summary>One round at a time: two at once would each send the same new counts (a test's round beside the timer's).</summary>
    private readonly SemaphoreSlim _round = new(1, 1);

    /// <summary>Takes one request of <paramref name="limit"/> this minute for <paramref name="key"/>; false (and when to retry) when none is left.</summary>
    public bool TryTake(string key, int limit, out TimeSpan retryAfter)
    {
        var seconds = clock.GetUtcNow().ToUnixTimeSeconds();
        var window = seconds / 60;
        retryAfter = TimeSpan.FromSeconds(60 - seconds % 60);
        var counter = _counters.GetOrAdd(key, _ => new Counter());
        lock (counter)
        {
            if (counter.Window != window)
            {
                counter.Window = window;
                counter.Local = counter.Flushed = counter.Others = 0;
            }
            if (counter.Local + counter.Others >= limit)
            {
                return false;
            }
            counter.Local++;
            return true;
        }
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        if (contexts.Engine != DatabaseEngine.Postgres)
        {
            return;
        }
        using var timer = new PeriodicTimer(SyncEvery, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SyncAsync(stoppingToken);
            }
            catch (Exception e) when (e is System.Data.Common.DbException or DbUpdateException or InvalidOperationException or TimeoutException)
            {
                // The database is away: this node goes on counting alone (its own limit still holds) until it is back.
                logger.LogWarning("Rate-limit counts not shared this round: {ErrorType}", e.GetType().Name);
            }
        }
    }

    /// <summary>Adds this node's new counts to the shared ones and learns the other nodes' (each second; tests call it).</summary>
    internal async Task SyncAsync(CancellationToken cancellationToken)
    {
        await _round.WaitAsync(cancellationToken);
        try
        {
            await SyncRoundAsync(cancellationToken);
        }
        finally
        {
            _round.Release();
        }
    }

    public override void Dispose()
    {
        _round.Dispose();
        base.Dispose();
    }

    private async Task SyncRoundAsync(CancellationToken cancellationToken)
    {
        var window = clock.GetUtcNow().ToUnixTimeSeconds() / 60;
        foreach (var (key, stale) in _counters.Where(c => c.Value.Window < window))
        {
            _counters.TryRemove(new KeyValuePair<string, Counter>(key, stale));
        }
        var active = _counters.Where(c => c.Value.Window == window).Select(c => (Hash: Hash(c.Key), Counter: c.Value)).ToList();
        await using var db = contexts.Create();
        if (Interlocked.Exchange(ref _sweptWindow, window) != window)
        {
            await db.Set<RateCounter>().Where(c => c.Window < window - 1).ExecuteDeleteAsync(cancellationToken);
        }
        if (active.Count == 0)
        {
            return;
        }
        var sent = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (hash, counter) in active)
        {
            long delta;
            lock (counter)
            {
                delta = counter.Window == window ? counter.Local - counter.Flushed : 0;
            }
            sent[hash] = delta;
            if (delta > 0)
            {
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO "RateCounters" ("Key", "Window", "Count") VALUES ({hash}, {window}, {delta})
                    ON CONFLICT ("Key", "Window") DO UPDATE SET "Count" = "RateCounters"."Count" + excluded."Count"
                    """, cancellationToken);
            }
        }
        var hashes = active.Select(a => a.Hash).ToList();
        var totals = await db.Set<RateCounter>().AsNoTracking().Where(c => c.Window == window && hashes.Contains(c.Key))
            .ToDictionaryAsync(c => c.Key, c => c.Count, StringComparer.Ordinal, cancellationToken);
        foreach (var (hash, counter) in active)
        {
            lock (counter)
            {
                if (counter.Window != window)
                {
                    continue;
                }
                counter.Flushed += sent[hash];
                counter.Others = Math.Max(0, totals.GetValueOrDefault(hash) - counter.Flushed);
            }
        }
    }

    /// <summary>No caller's identifier or address is stored: the key's SHA-256.</summary>
    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private sealed class Counter
    {
        public long Window;
        public long Local;
        public long Flushed;
        public long Others;
    }
}

/// <summary>One caller's fixed one-minute window, counted by <see cref="SharedRateCounters"/>; no queue (a refusal is at once).</summary>
internal sealed class SharedWindowLimiter(SharedRateCounters counters, string key, int perMinute, TimeProvider clock) : RateLimiter
{
    private long _lastUsed = clock.GetTimestamp();

    /// <summary>How long since this caller was last seen; the partitioned limiter lets an idle one go (its counts stay in the counters).</summary>
    public override TimeSpan? IdleDuration => clock.GetElapsedTime(Interlocked.Read(ref _lastUsed));

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        Interlocked.Exchange(ref _lastUsed, clock.GetTimestamp());
        if (permitCount == 0)
        {
            return Lease.Granted;
        }
        return counters.TryTake(key, perMinute, out var retryAfter) ? Lease.Granted : new Lease(false, retryAfter);
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
