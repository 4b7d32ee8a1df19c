using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using SharingHub.Testing;

namespace SharingHub.Server.Tests;

/// <summary>The real hub over real HTTP plumbing, on a test database of the chosen engine.</summary>
internal class HubFactory(TestDatabase database, string environment = "Development", IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        // The hub's JSON logs would interleave with the test runner's output; tests assert behaviour, not log lines.
        builder.ConfigureLogging(logging => logging.ClearProviders());
        builder.ConfigureAppConfiguration(config =>
        {
            config.AddInMemoryCollection(database.Settings);
            if (settings is not null)
            {
                config.AddInMemoryCollection(settings);
            }
        });
    }
}
