using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Cluster;

/// <summary>Where a lag-tolerant read is answered from.</summary>
public enum ReadSource
{
    Primary,
    Replica,
}

/// <summary>What is known of the replica: whether it is configured, reachable, and how far behind the primary it is.</summary>
/// <param name="Configured">A replica connection string is set.</param>
/// <param name="Reachable">The replica answered the last measurement.</param>
/// <param name="LagSeconds">Everything the primary had written this many seconds ago is on the replica; null when unknown.</param>
/// <param name="MeasuredAt">When the last measurement was made.</param>
/// <param name="Problem">Why the replica is not used, when it is not.</param>
public sealed record ReplicaState(bool Configured, bool Reachable, double? LagSeconds, DateTimeOffset? MeasuredAt, string? Problem);

/// <summary>
/// Reads that tolerate a stated lag (statistics, audit reports and exports) are answered from a PostgreSQL streaming
/// replica when one is configured and is no further behind than <see cref="DatabaseOptions.ReplicaMaxLagSeconds"/>;
/// otherwise from the primary. Nothing that decides a disclosure reads here: consent, membership, shredding, policy and
/// every record a practitioner is shown are read from the primary, always.
/// <para>
/// The lag is measured, not assumed: every second the primary's write position (its WAL LSN) is sampled with the time,
/// and the replica's replay position is read; the replica holds everything the primary had written at the time of the
/// newest sample it has passed. So an idle primary does not look like a lagging replica, and a replica whose replay
/// stopped is found behind however quiet the primary is. A replica not heard from for two rounds is not used.
/// </para>
/// </summary>
public sealed class LagTolerantReads : IDisposable
{
    private readonly IHubDbContextFactory _primary;
    private readonly DatabaseOptions _options;
    private readonly TimeProvider _clock;
    private readonly PooledDbContextFactory<PostgresHubDbContext>? _replica;
    private readonly Queue<(DateTimeOffset At, decimal Lsn)> _samples = new();
    private readonly Lock _gate = new();
    private ReplicaState _state;

    public LagTolerantReads(IHubDbContextFactory primary, IOptions<DatabaseOptions> options, TimeProvider clock)
    {
        _primary = primary;
        _options = options.Value;
        _clock = clock;
        if (!string.IsNullOrWhiteSpace(_options.ReplicaConnectionString))
        {
            _replica = new PooledDbContextFactory<PostgresHubDbContext>(
                new DbContextOptionsBuilder<PostgresHubDbContext>().UseNpgsql(PostgresPreparation.Apply(_options.ReplicaConnectionString)).Options);
        }
        _state = new ReplicaState(_replica is not null, Reachable: false, LagSeconds: null, MeasuredAt: null, Problem: _replica is null ? null : "not measured yet");
    }

    /// <summary>How often the lag is measured.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public ReplicaState State => _state;

    /// <summary>Where a lag-tolerant read made now goes: the replica only while it is known to be within the stated lag.</summary>
    public ReadSource Choose()
    {
        var state = _state;
        return _replica is not null && state is { Reachable: true, LagSeconds: { } lag, MeasuredAt: { } at }
            && lag <= _options.ReplicaMaxLagSeconds && _clock.GetUtcNow() - at <= 2 * Interval + TimeSpan.FromSeconds(1)
            ? ReadSource.Replica
            : ReadSource.Primary;
    }

    /// <summary>A context for a lag-tolerant read, on the source <see cref="Choose"/> picks (or the one given, to keep one
    /// answer on one source: an export counted on the replica is streamed from it too).</summary>
    public HubDbContext Create(ReadSource? source = null) =>
        (source ?? Choose()) == ReadSource.Replica && _replica is not null ? _replica.CreateDbContext() : _primary.Create();

    /// <summary>One round: the primary's write position now, the replica's replay position, and from them the lag.</summary>
    public async Task MeasureAsync(CancellationToken ct)
    {
        if (_replica is null)
        {
            return;
        }
        decimal primaryLsn;
        await using (var db = _primary.Create())
        {
            primaryLsn = await db.Database.SqlQueryRaw<decimal>("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn) AS \"Value\"").SingleAsync(ct);
        }
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            _samples.Enqueue((now, primaryLsn));
            // Samples older than the stated lag and a margin are not needed to tell whether the replica is within it.
            while (_samples.Count > 1 && now - _samples.Peek().At > TimeSpan.FromSeconds(_options.ReplicaMaxLagSeconds + 10))
            {
                _samples.Dequeue();
            }
        }
        try
        {
            decimal? replayed;
            await using (var replica = _replica.CreateDbContext())
            {
                replayed = await replica.Database.SqlQueryRaw<decimal?>("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn) AS \"Value\"").SingleAsync(ct);
            }
            if (replayed is not { } position)
            {
                _state = new ReplicaState(true, Reachable: true, null, now, "the replica is not a standby (it replays no WAL): lag-tolerant reads go to the primary");
                return;
            }
            double lag;
            lock (_gate)
            {
                // The oldest write the replica has not replayed was known at the first sample beyond its position.
                var behind = _samples.FirstOrDefault(s => s.Lsn > position);
                lag = behind == default ? 0 : (now - behind.At).TotalSeconds;
            }
            _state = new ReplicaState(true, Reachable: true, Math.Round(lag, 1), now, null);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            _state = new ReplicaState(true, Reachable: false, null, now, "the replica cannot be reached: lag-tolerant reads go to the primary");
        }
    }

    public void Dispose() => (_replica as IDisposable)?.Dispose();
}

/// <summary>Measures the replica's lag every second, whichever node runs it (each node measures for itself).</summary>
public sealed class ReplicaLagMonitor(LagTolerantReads reads, ILogger<ReplicaLagMonitor> logger) : QuietlyStoppedService
{
    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        if (!reads.State.Configured)
        {
            return;
        }
        using var timer = new PeriodicTimer(LagTolerantReads.Interval);
        var wasUsable = false;
        do
        {
            try
            {
                await reads.MeasureAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // The primary itself is unreachable: the readiness check says so; lag-tolerant reads wait for it like every read.
                logger.LogWarning("Replica lag not measured: the primary did not answer ({Error})", e.GetType().Name);
            }
            var usable = reads.Choose() == ReadSource.Replica;
            if (usable != wasUsable)
            {
                if (usable)
                {
                    logger.LogWarning("Lag-tolerant reads now go to the replica (lag {Lag} s)", reads.State.LagSeconds);
                }
                else
                {
                    logger.LogWarning("Lag-tolerant reads now go to the primary: {Problem}", reads.State.Problem ?? $"the replica is {reads.State.LagSeconds} s behind");
                }
                wasUsable = usable;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
