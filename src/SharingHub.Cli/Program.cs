using System.CommandLine;
using SharingHub.Cli.Commands;
using SharingHub.Core.Crypto;
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
catch (InvalidOperationException e) when (e.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal))
{
    // A value of the wrong kind (--subject not-a-guid), found as the command reads it: said without the runtime's type name.
    await Console.Error.WriteLineAsync("sharinghub: " + e.Message.Split(" as expected type ", 2)[0] + "; see --help");
    return 2;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException
    or UriFormatException or HttpRequestException or System.Security.Cryptography.CryptographicException or KeyUnavailableException
    || e is ArgumentException { ParamName: "input" })
{
    // What the command met outside itself: a path given that is not there or not a file, a file that is not what it should be
    // (not JSON, not a PEM key), a hub not listening, a key not in the ring given. The message says which; no stack trace.
    await Console.Error.WriteLineAsync("sharinghub: " + e.Message);
    return 1;
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
