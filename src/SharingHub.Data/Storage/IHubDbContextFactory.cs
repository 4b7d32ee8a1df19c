using Microsoft.EntityFrameworkCore;

namespace SharingHub.Data.Storage;

/// <summary>Creates a context for whichever engine is configured; callers never need to know which.</summary>
public interface IHubDbContextFactory
{
    DatabaseEngine Engine { get; }
    HubDbContext Create();
}

internal sealed class HubDbContextFactory<TContext>(IDbContextFactory<TContext> inner, DatabaseEngine engine) : IHubDbContextFactory
    where TContext : HubDbContext
{
    public DatabaseEngine Engine => engine;
    public HubDbContext Create() => inner.CreateDbContext();
}
