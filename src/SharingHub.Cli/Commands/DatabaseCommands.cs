using System.CommandLine;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;

namespace SharingHub.Cli.Commands;

internal static class DatabaseCommands
{
    public static Command Create()
    {
        var migrate = new Command("migrate", "Create the schema or apply pending migrations");
        HubServices.AddTo(migrate);
        migrate.SetAction(async (parse, cancellationToken) =>
        {
            using var host = HubServices.Build(parse);
            var applied = await host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
            await parse.InvocationConfiguration.Output.WriteLineAsync(applied.Count == 0
                ? "schema is current; nothing to apply"
                : $"applied {applied.Count} migration(s): {string.Join(", ", applied)}");
            return 0;
        });

        var script = new Command("script", "Print the SQL of every EF migration for the configured engine (for a DBA who applies schema changes by hand; idempotent on PostgreSQL)");
        HubServices.AddTo(script);
        script.SetAction(async (parse, cancellationToken) =>
        {
            using var host = HubServices.Build(parse);
            await using var db = host.Services.GetRequiredService<IHubDbContextFactory>().Create();
            var migrator = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
            // SQLite cannot guard each step (EF generates no idempotent SQL for it): its script is the whole history from empty.
            var options = host.Services.GetRequiredService<IHubDbContextFactory>().Engine == DatabaseEngine.Postgres
                ? Microsoft.EntityFrameworkCore.Migrations.MigrationsSqlGenerationOptions.Idempotent
                : Microsoft.EntityFrameworkCore.Migrations.MigrationsSqlGenerationOptions.Default;
            await parse.InvocationConfiguration.Output.WriteLineAsync(migrator.GenerateScript(options: options));
            return 0;
        });

        return new Command("db", "Database schema") { migrate, script };
    }
}
