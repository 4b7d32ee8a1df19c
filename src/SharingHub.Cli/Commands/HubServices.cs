using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SharingHub.Crypto;
using SharingHub.Data;
using SharingHub.Data.Storage;

namespace SharingHub.Cli.Commands;

/// <summary>The options every command that touches a hub shares, and the services built from them.</summary>
internal static class HubServices
{
    public static readonly Option<DatabaseEngine?> Engine = new("--engine")
    {
        Description = "Sqlite or Postgres (default: the hub's configuration, else Sqlite)",
    };

    public static readonly Option<string?> Connection = new("--connection")
    {
        Description = "Connection string (default: the hub's configuration, else data/sharinghub.db). Prefer the SharingHub__Database__ConnectionString environment variable for passwords.",
    };

    public static readonly Option<string?> KeyRing = new("--key-ring")
    {
        Description = "Path of the local key ring (default: data/keyring.json)",
    };

    /// <param name="parse">The command line.</param>
    /// <param name="replacing">Settings that win over the command line's (a restore checks its staging copy, not the target).</param>
    /// <param name="setUp">
    /// A command that sets a hub up with data (<c>demo load</c>) creates a missing key ring, as a hub's first start does; every other
    /// command refuses one that is not there, so a mistyped <c>--key-ring</c> leaves no new ring behind (<c>db migrate</c> reads no key).
    /// </param>
    public static IHost Build(ParseResult parse, IReadOnlyDictionary<string, string?>? replacing = null, bool setUp = false)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "SharingHub.Server", DisableDefaults = false });
        var overrides = new Dictionary<string, string?>
        {
            ["SharingHub:KeyRing:CreateIfMissing"] = setUp ? "true" : "false",
        };
        if (parse.GetValue(Engine) is { } engine)
        {
            overrides[$"{DatabaseOptions.Section}:Engine"] = engine.ToString();
        }
        if (parse.GetValue(Connection) is { } connection)
        {
            overrides[$"{DatabaseOptions.Section}:ConnectionString"] = connection;
        }
        if (parse.GetValue(KeyRing) is { } keyRing)
        {
            overrides["SharingHub:KeyRing:Path"] = keyRing;
        }
        foreach (var (key, value) in replacing ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.ClearProviders();
        // The CLI reports errors itself; EF's own error logging would repeat them with SQL and stack traces.
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Microsoft.EntityFrameworkCore", LogLevel.None);
        builder.Services.AddSharingHubCrypto();
        builder.Services.AddSharingHubData();
        return builder.Build();
    }

    public static void AddTo(Command command)
    {
        command.Options.Add(Engine);
        command.Options.Add(Connection);
        command.Options.Add(KeyRing);
    }
}
