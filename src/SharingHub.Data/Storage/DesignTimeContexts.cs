using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SharingHub.Data.Storage;

// For `dotnet ef migrations add NAME --context SqliteHubDbContext|PostgresHubDbContext` (see README, "Changing the
// schema"): the model is built exactly as the hub builds it; the connection strings are placeholders, never opened.

internal sealed class SqliteDesignTimeContext : IDesignTimeDbContextFactory<SqliteHubDbContext>
{
    public SqliteHubDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteHubDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

internal sealed class PostgresDesignTimeContext : IDesignTimeDbContextFactory<PostgresHubDbContext>
{
    public PostgresHubDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresHubDbContext>().UseNpgsql("Host=design-time.invalid").Options);
}
