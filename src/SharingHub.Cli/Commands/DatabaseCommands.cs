using System.CommandLine;
using Microsoft.EntityFrameworkCore;
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

        var script = new Command("script", "Print the DDL the current model expects on an engine: the starting point for a new migration");
        HubServices.AddTo(script);
        script.SetAction(async (parse, cancellationToken) =>
        {
            using var host = HubServices.Build(parse);
            await using var db = host.Services.GetRequiredService<IHubDbContextFactory>().Create();
            await parse.InvocationConfiguration.Output.WriteLineAsync(db.Database.GenerateCreateScript());
            return 0;
        });

        return new Command("db", "Database schema") { migrate, script };
    }
}
