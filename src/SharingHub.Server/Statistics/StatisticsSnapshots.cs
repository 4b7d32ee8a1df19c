using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;
using SharingHub.Server.OData;

namespace SharingHub.Server.Statistics;

/// <summary>Every published figure of every period at one moment, which the feed's pages are read from.</summary>
internal sealed record StatisticsSnapshot(string Id, DateTimeOffset At, IReadOnlyList<FeedRow> Rows);

/// <summary>
/// The feed's figures, computed for every month, quarter, calendar year and financial year from the first record (at
/// most ten years back) to now, and kept: a new snapshot at most every <see cref="Fresh"/>, and each kept for
/// <see cref="Kept"/> so a client paging through one (Power BI following @odata.nextLink) reads one consistent set.
/// </summary>
internal sealed class StatisticsSnapshots(MeasureCalculator calculator, IHubDbContextFactory contexts, WorkingCalendar calendar, TimeProvider clock)
{
    public static readonly TimeSpan Fresh = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan Kept = TimeSpan.FromMinutes(30);
    private const int MaxKept = 4;
    private readonly Lock _gate = new();
    private readonly List<StatisticsSnapshot> _snapshots = [];
    private readonly SemaphoreSlim _computing = new(1, 1);

    /// <summary>The snapshot a next link names, or the latest (computed now if none is fresh).</summary>
    public async Task<StatisticsSnapshot> GetAsync(string? id, CancellationToken cancellationToken)
    {
        if (Find(id) is { } found)
        {
            return found;
        }
        await _computing.WaitAsync(cancellationToken);
        try
        {
            if (Find(id) is { } computed)
            {
                return computed;
            }
            var snapshot = await ComputeAsync(cancellationToken);
            lock (_gate)
            {
                _snapshots.Add(snapshot);
                if (_snapshots.Count > MaxKept)
                {
                    _snapshots.RemoveAt(0);
                }
            }
            return snapshot;
        }
        finally
        {
            _computing.Release();
        }
    }

    private StatisticsSnapshot? Find(string? id)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            _snapshots.RemoveAll(s => now - s.At > Kept);
            if (id is not null)
            {
                return _snapshots.Find(s => s.Id == id)
                    ?? throw new ODataRefusal(400, ODataErrors.InvalidQuery,
                        $"the figures this link pages through were replaced more than {Kept.TotalMinutes:N0} minutes ago; read {StatisticsFeed.MeasuresSet} again from its first page");
            }
            return _snapshots.LastOrDefault(s => now - s.At < Fresh);
        }
    }

    private async Task<StatisticsSnapshot> ComputeAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var first = await FirstRecordAsync(ct) ?? now;
        var earliest = now.AddYears(-10);
        var periods = StatisticsPeriod.Between(first < earliest ? earliest : first, now, calendar.Zone);
        var cells = await calculator.ComputeAsync(periods, ct);
        var rows = periods.SelectMany(p => SmallNumbers.Control(p.Code, cells[p.Code])
            .Select(r => new FeedRow($"{p.Code}/{r.Measure}/{r.Breakdown}/{r.Category}", p.Code, p.Grain, p.From, p.To, r))).ToList();
        return new StatisticsSnapshot(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)), now, rows);
    }

    /// <summary>When the earliest record a measure counts was made: the first period the feed holds.</summary>
    private async Task<DateTimeOffset?> FirstRecordAsync(CancellationToken ct)
    {
        await using var db = contexts.Create();
        var firsts = new[]
        {
            await db.Referrals.MinAsync(r => (DateTimeOffset?)r.ReceivedAt, ct),
            await db.Enquiries.MinAsync(e => (DateTimeOffset?)e.OpenedAt, ct),
            await db.FamilyHelpPlans.MinAsync(p => (DateTimeOffset?)p.StartedAt, ct),
            await db.InformationRequests.MinAsync(r => (DateTimeOffset?)r.RequestedAt, ct),
        };
        return firsts.Where(f => f is not null).Min();
    }
}
