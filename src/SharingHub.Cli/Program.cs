using System.CommandLine;
using SharingHub.Cli.Commands;

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
return await root.Parse(args).InvokeAsync();
