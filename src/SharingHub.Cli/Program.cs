using System.CommandLine;
using SharingHub.Cli.Commands;
using SharingHub.Data.Storage;

var root = new RootCommand("sharinghub: operate a SharingHub (database, demo data, policies, partner systems, keys, audit, backup and restore)");
root.Subcommands.Add(DatabaseCommands.Create());
root.Subcommands.Add(DemoCommands.Create());
root.Subcommands.Add(PolicyCommands.Create());
root.Subcommands.Add(ClientCommands.Create());
root.Subcommands.Add(KeyCommands.Create());
root.Subcommands.Add(ClientCommands.CreateDevUserToken());
root.Subcommands.Add(AuditCommands.Create());
root.Subcommands.Add(BackupCommands.CreateBackup());
root.Subcommands.Add(BackupCommands.CreateRestore());
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (OperatorFailures.Explain(e) is { } failure)
{
    // What the operator can mend (a key ring that will not open, a database not reachable), as the hub's server says it
    // when it cannot start: one line and the exit status, no stack trace. A fault of the hub's own keeps its trace.
    await Console.Error.WriteLineAsync("sharinghub: " + failure.Reason);
    return failure.Code;
}
catch (OperationCanceledException)
{
    // Stopped with Ctrl-C (SIGINT): the usual status for it, no trace.
    return 130;
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync("Unhandled exception: " + e);
    return 1;
}
