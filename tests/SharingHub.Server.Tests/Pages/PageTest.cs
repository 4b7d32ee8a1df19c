using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Pages;

/// <summary>What every browser test starts from: the hub listening on a loopback port on one engine, and Chromium.</summary>
public abstract class PageTest(DatabaseEngine engine, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null) : IAsyncLifetime
{
    internal FhirTestHub Hub { get; private set; } = null!;
    internal Browser Web { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Hub = await FhirTestHub.StartListeningAsync(engine, settings, clock);
        Web = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await Web.DisposeAsync();
        await Hub.DisposeAsync();
    }
}
