using System.CommandLine;
using SharingHub.Cli.Commands;

var root = new RootCommand("sharinghub: operate a SharingHub (database, demo data; keys, clients, policies and audit come with their issues)");
root.Subcommands.Add(DatabaseCommands.Create());
root.Subcommands.Add(DemoCommands.Create());
return await root.Parse(args).InvokeAsync();
