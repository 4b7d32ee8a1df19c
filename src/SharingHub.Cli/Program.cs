using System.CommandLine;
using SharingHub.Cli.Commands;

var root = new RootCommand("sharinghub: operate a SharingHub (database, demo data, policies)");
root.Subcommands.Add(DatabaseCommands.Create());
root.Subcommands.Add(DemoCommands.Create());
root.Subcommands.Add(PolicyCommands.Create());
return await root.Parse(args).InvokeAsync();
