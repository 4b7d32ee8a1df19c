using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;
using Xunit;

namespace SharingHub.Testing;

/// <summary>A test class with its own migrated database and services; derive once per engine.</summary>
public abstract class DatabaseTest(DatabaseEngine engine) : IAsyncLifetime
{
    protected DatabaseEngine Engine => engine;
    protected TestDatabase Database { get; private set; } = null!;
    protected ServiceProvider Services { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync(engine);
        Services = await Database.StartServicesAsync();
    }

    public async Task DisposeAsync()
    {
        await Services.DisposeAsync();
        await Database.DisposeAsync();
    }
}
