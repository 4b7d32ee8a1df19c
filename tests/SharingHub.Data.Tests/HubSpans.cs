using System.Collections.Concurrent;
using System.Diagnostics;
using SharingHub.Core.Telemetry;

namespace SharingHub.Data.Tests;

/// <summary>Listens to the hub's own spans while it lives and keeps each one that stopped (every test in the process reports to it: filter by parent).</summary>
internal sealed class HubSpans : IDisposable
{
    private readonly ActivityListener _listener;

    public HubSpans()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == HubDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = Seen.Add,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ConcurrentBag<Activity> Seen { get; } = [];

    public void Dispose() => _listener.Dispose();
}
