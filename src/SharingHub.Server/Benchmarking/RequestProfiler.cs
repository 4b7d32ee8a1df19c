using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SharingHub.Server.Benchmarking;

/// <summary>
/// Where a request's time goes, for the benchmark's breakdown (issue 27): with the benchmark's baselines
/// mapped (never in Production) and only while switched on, each request's hub spans (token, case lookups,
/// linkage, consents, policy, field decryption, audit wait, response writing) and its database commands
/// (count and time; EF's, and the statements the hub keeps prepared outside EF) are summed per route, with the garbage collections' pauses inside each (the process's, which at one
/// request at a time are that request's). Off, it costs one flag check per request and per command.
/// It records durations and route templates only, never what a request was about.
/// </summary>
internal sealed class RequestProfiler : DbCommandInterceptor, IDisposable
{
    private static readonly AsyncLocal<Profile?> Current = new();
    private readonly ConcurrentDictionary<string, RouteTotals> _routes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private ActivityListener? _listener;

    public bool Enabled => _listener is not null;

    public void Start()
    {
        lock (_gate)
        {
            _routes.Clear();
            _listener ??= Listen();
        }
    }

    /// <summary>Stops and returns what was measured: per route, the requests and the mean of each part in milliseconds.</summary>
    public IReadOnlyList<RouteBreakdown> Stop()
    {
        lock (_gate)
        {
            _listener?.Dispose();
            _listener = null;
            var measured = _routes.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Value.Breakdown(r.Key)).ToList();
            _routes.Clear();
            return measured;
        }
    }

    private const string PausedAtStart = "sharinghub.profiler.gc-paused";

    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Core.Telemetry.HubDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStarted = activity => activity.SetCustomProperty(PausedAtStart, GC.GetTotalPauseDuration()),
            ActivityStopped = activity =>
            {
                if (activity.OperationName == Core.Telemetry.HubDiagnostics.PreparedStatement)
                {
                    // A statement kept prepared outside EF (the case read on SQLite): counted with EF's commands, its time
                    // from taking the connection to the last row read.
                    Current.Value?.Command(activity.Duration);
                    return;
                }
                Current.Value?.Add(activity.OperationName, activity.Duration.TotalMilliseconds,
                    activity.GetCustomProperty(PausedAtStart) is TimeSpan paused ? (GC.GetTotalPauseDuration() - paused).TotalMilliseconds : 0);
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    /// <summary>Measures one request end to end (first in the pipeline, so the token's validation is inside it).</summary>
    public async Task MeasureAsync(HttpContext http, RequestDelegate next)
    {
        if (!Enabled)
        {
            await next(http);
            return;
        }
        var profile = new Profile();
        Current.Value = profile;
        var started = Stopwatch.GetTimestamp();
        var (collections, paused) = (GC.CollectionCount(0), GC.GetTotalPauseDuration());
        try
        {
            await next(http);
        }
        finally
        {
            var total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Current.Value = null;
            profile.Collected(GC.CollectionCount(0) - collections, (GC.GetTotalPauseDuration() - paused).TotalMilliseconds);
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no endpoint)";
            // A request that switched the profiler off (or ran across it) is not counted: what was read is what was measured.
            if (Enabled)
            {
                _routes.GetOrAdd($"{http.Request.Method} {route}", _ => new RouteTotals()).Add(profile, total);
            }
        }
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Current.Value?.Command(eventData.Duration);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Current.Value?.Command(eventData.Duration);
        return ValueTask.FromResult(result);
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Current.Value?.Command(eventData.Duration);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Current.Value?.Command(eventData.Duration);
        return ValueTask.FromResult(result);
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Current.Value?.Command(eventData.Duration);
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        Current.Value?.Command(eventData.Duration);
        return ValueTask.FromResult(result);
    }

    public void Dispose() => _listener?.Dispose();

    /// <summary>One request's parts (a request is handled on one logical flow at a time, but its parts may finish on any thread).</summary>
    private sealed class Profile
    {
        private readonly Lock _gate = new();
        public Dictionary<string, (int Count, double Ms, double GcMs)> Spans { get; } = new(StringComparer.Ordinal);
        public int Commands { get; private set; }
        public double CommandMs { get; private set; }
        public int Collections { get; private set; }
        public double GcMs { get; private set; }

        public void Add(string name, double ms, double gcMs)
        {
            lock (_gate)
            {
                Spans[name] = Spans.TryGetValue(name, out var s) ? (s.Count + 1, s.Ms + ms, s.GcMs + gcMs) : (1, ms, gcMs);
            }
        }

        /// <summary>The collections (gen0 counts every collection) and their pauses while the request ran.</summary>
        public void Collected(int collections, double gcMs)
        {
            lock (_gate)
            {
                Collections += collections;
                GcMs += gcMs;
            }
        }

        public void Command(TimeSpan duration)
        {
            lock (_gate)
            {
                Commands++;
                CommandMs += duration.TotalMilliseconds;
            }
        }
    }

    private sealed class RouteTotals
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, (double Count, double Ms, double GcMs)> _spans = new(StringComparer.Ordinal);
        private int _requests;
        private double _totalMs;
        private double _commands;
        private double _commandMs;
        private double _collections;
        private double _gcMs;

        public void Add(Profile profile, double totalMs)
        {
            lock (_gate)
            {
                _requests++;
                _totalMs += totalMs;
                _commands += profile.Commands;
                _commandMs += profile.CommandMs;
                _collections += profile.Collections;
                _gcMs += profile.GcMs;
                foreach (var (name, (count, ms, gcMs)) in profile.Spans)
                {
                    _spans[name] = _spans.TryGetValue(name, out var s) ? (s.Count + count, s.Ms + ms, s.GcMs + gcMs) : (count, ms, gcMs);
                }
            }
        }

        public RouteBreakdown Breakdown(string route)
        {
            lock (_gate)
            {
                var n = Math.Max(1, _requests);
                return new RouteBreakdown(route, _requests, _totalMs / n, _commands / n, _commandMs / n,
                    _spans.OrderByDescending(s => s.Value.Ms).Select(s => new SpanBreakdown(s.Key, s.Value.Count / n, s.Value.Ms / n, s.Value.GcMs / n)).ToList())
                {
                    Collections = _collections / n,
                    GcMs = _gcMs / n,
                };
            }
        }
    }
}

/// <summary>Per request on one route, on average: total time, database commands and their time, each hub span, and garbage collections with their pauses.</summary>
internal sealed record RouteBreakdown(string Route, int Requests, double TotalMs, double Commands, double CommandMs, IReadOnlyList<SpanBreakdown> Spans)
{
    public double Collections { get; init; }
    public double GcMs { get; init; }
}

/// <summary>A hub span per request, on average: how many times it ran, its summed time, and the collections' pauses inside it (spans may nest: database time is within them).</summary>
internal sealed record SpanBreakdown(string Name, double Count, double Ms, double GcMs);
