using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using SharingHub.Testing;

namespace SharingHub.Server.Tests;

/// <summary>The real hub over real HTTP plumbing, on a test database of the chosen engine.</summary>
internal class HubFactory(TestDatabase database, string environment = "Development", IReadOnlyDictionary<string, string?>? settings = null,
    TimeProvider? clock = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        // The hub's JSON logs would interleave with the test runner's output; tests assert behaviour, not log lines.
        builder.ConfigureLogging(logging => logging.ClearProviders());
        if (clock is not null)
        {
            // One clock for the whole hub: token lifetimes, deadlines, enquiry access and audit times move together.
            builder.ConfigureTestServices(services => services.Replace(ServiceDescriptor.Singleton(clock)));
        }
        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
        builder.ConfigureAppConfiguration(config =>
        {
            config.AddInMemoryCollection(database.Settings);
            if (settings is not null)
            {
                config.AddInMemoryCollection(settings);
            }
        });
    }

    /// <summary>What every Production hub must be configured with (a usable contact for each agency), and a test's own settings.</summary>
    public static Dictionary<string, string?> InProduction(IReadOnlyDictionary<string, string?> own)
    {
        var all = new Dictionary<string, string?>(own);
        foreach (var agency in new[] { "la", "police", "health", "education", "probation" })
        {
            all.TryAdd($"SharingHub:Mais:Contacts:{agency}:Email", $"safeguarding-{agency}@example.org");
        }
        return all;
    }

    /// <summary>
    /// A client whose FHIR responses are also written, one per line, to the folder named by
    /// SHARINGHUB_FHIR_CAPTURE (tests/run.sh sets it), where interop/fhir-schema validates every one.
    /// </summary>
    public HttpClient CreateFhirClient() => CreateDefaultClient(new FhirCapture());

    /// <summary>Adds a FHIR resource the hub sent elsewhere (a partner query) to what interop/fhir-schema validates.</summary>
    public static void CaptureFhir(string json) => FhirCapture.Capture(json);

    private sealed class FhirCapture : DelegatingHandler
    {
        private static readonly string? Folder = Environment.GetEnvironmentVariable("SHARINGHUB_FHIR_CAPTURE");
        private static readonly Lock Gate = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (Folder is not null && response.Content.Headers.ContentType?.MediaType == "application/fhir+json")
            {
                Capture(await response.Content.ReadAsStringAsync(cancellationToken));
            }
            return response;
        }

        /// <summary>Keeps a FHIR resource the hub produced (a response, or a query it sent a partner) for the schema check.</summary>
        public static void Capture(string json)
        {
            if (Folder is null)
            {
                return;
            }
            Directory.CreateDirectory(Folder);
            lock (Gate)
            {
                File.AppendAllText(Path.Combine(Folder, "responses.ndjson"), json.ReplaceLineEndings(" ") + "\n");
            }
        }
    }
}
