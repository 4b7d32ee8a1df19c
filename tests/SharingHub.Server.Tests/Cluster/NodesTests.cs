using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Server.Tests.Identity;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Cluster;

/// <summary>Two hub nodes (each its own listener and services) on one database, as behind a load balancer.</summary>
public abstract class NodesTests(DatabaseEngine engine) : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private FhirTestHub _a = null!;
    private FhirTestHub _b = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(engine);
        _a = FhirTestHub.ListeningOver(_database);
        _b = FhirTestHub.ListeningOver(_database);
    }

    private static HttpClient Browser(string baseUrl, CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(baseUrl) };

    private static async Task<string> LandingAsync(string baseUrl, string cookie)
    {
        using var client = new HttpClient { BaseAddress = new Uri(baseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Cookie", "sh.session=" + cookie);
        using var response = await client.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Given_a_person_signed_in_through_one_node_then_the_other_node_knows_them_until_they_sign_out_at_either()
    {
        var cookies = new CookieContainer();
        using var browser = Browser(_a.BaseUrl, cookies);
        var (authorize, fields) = await SignInTests.StartAsync(browser, "la");
        fields["user"] = "demo-la-lcpp";
        using (var chosen = await browser.PostAsync(authorize, new FormUrlEncodedContent(fields)))
        using (var callback = await browser.GetAsync(chosen.Headers.Location))
        {
            Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        }
        var session = cookies.GetCookies(new Uri(_a.BaseUrl))["sh.session"]!.Value;

        // The other node reads the cookie the first one made (shared data-protection keys).
        Assert.Contains("data-testid=\"subject\">demo-la-lcpp<", await LandingAsync(_b.BaseUrl, session), StringComparison.Ordinal);

        // Signed out through the second node: a copy of the cookie is refused by the first node too.
        using var atB = Browser(_b.BaseUrl, new CookieContainer());
        using (var signOut = new HttpRequestMessage(HttpMethod.Post, "/signout"))
        {
            signOut.Headers.TryAddWithoutValidation("Cookie", "sh.session=" + session);
            using var signedOut = await atB.SendAsync(signOut);
            Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        }
        var afterwards = await LandingAsync(_a.BaseUrl, session);
        Assert.DoesNotContain("demo-la-lcpp", afterwards, StringComparison.Ordinal);
        Assert.Contains("Sign in with", afterwards, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_data_protection_keys_in_the_database_then_they_hold_no_key_material_in_the_clear()
    {
        using (await _a.Client.GetAsync("/"))
        {
        }
        var cookies = new CookieContainer();
        using var browser = Browser(_a.BaseUrl, cookies);
        await SignInTests.StartAsync(browser, "la"); // the sign-in state cookie is protected with a data-protection key
        await using var db = _a.Contexts.Create();
        var stored = db.Set<Data.Cluster.DataProtectionKeyRow>().ToList();
        Assert.NotEmpty(stored);
        Assert.All(stored, k =>
        {
            Assert.Contains("sharinghubEncryptedKey", k.Xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", k.Xml, StringComparison.Ordinal);
        });
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await _database.DisposeAsync();
    }
}

public sealed class SqliteNodesTests() : NodesTests(DatabaseEngine.Sqlite);

public sealed class PostgresNodesTests() : NodesTests(DatabaseEngine.Postgres);

/// <summary>SQLite is for one hub node: a second hub process on the same file is refused, clearly, and the first carries on.</summary>
public sealed class SqliteSingleNodeTests
{
    [Fact]
    public async Task Given_a_hub_serving_a_sqlite_file_when_a_second_hub_process_starts_on_it_then_that_process_stops_with_a_clear_message()
    {
        await using var hub = await FhirTestHub.StartAsync(DatabaseEngine.Sqlite);
        using (var before = await hub.GetAsync("/health", null))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var second = await Reliability.HubCli.RunServerAsync(hub.Database, "--urls", "http://127.0.0.1:0");

        // Exit 78 (a setting to mend), the reason alone on standard error: no stack trace.
        Assert.True(second.ExitCode == 78, second.ToString());
        Assert.StartsWith("sharinghub: the hub cannot start: ", second.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", second.Error, StringComparison.Ordinal);
        Assert.True((second.Output + second.Error).Contains("another hub process is serving the SQLite database", StringComparison.Ordinal), second.ToString());
        using var after = await hub.GetAsync("/health", null);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}

/// <summary>
/// Every node needs the key ring the database was written with: a node that brings another one (made its own on first
/// start, or was given the wrong file) is stopped before it serves or writes anything, and the database keeps its own.
/// </summary>
public abstract class KeyRingFingerprintTests(DatabaseEngine engine)
{
    [Fact]
    public async Task Given_a_database_written_with_one_key_ring_when_a_node_starts_with_another_then_it_stops_with_a_clear_message()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        string recorded;
        await using (var first = FhirTestHub.Over(database))
        {
            using var health = await first.GetAsync("/health", null);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            recorded = first.Services.GetRequiredService<Data.Cluster.KeyRingFingerprint>().Current;
        }

        // A node on a fresh machine: its own folder, where it makes its own key ring and signing keys on first start.
        var own = Directory.CreateDirectory(Path.Combine(database.Folder, "another-node")).FullName;
        var stranger = await Reliability.HubCli.RunServerAsync(database, "--urls", "http://127.0.0.1:0",
            "--SharingHub:KeyRing:Path=" + Path.Combine(own, "keyring.json"),
            "--SharingHub:Identity:SigningKeyPath=" + Path.Combine(own, "signing-keys.json"),
            "--SharingHub:Audit:SigningKeyPath=" + Path.Combine(own, "audit-signing-keys.json"));

        // Exit 78 (a setting to mend), the reason alone on standard error: no stack trace.
        Assert.True(stranger.ExitCode == 78, stranger.ToString());
        Assert.StartsWith("sharinghub: the hub cannot start: ", stranger.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stranger.Error, StringComparison.Ordinal);
        Assert.True((stranger.Output + stranger.Error).Contains("is not the one the database was written with", StringComparison.Ordinal), stranger.ToString());
        Assert.Contains("every hub node needs the same keyring.json", stranger.Output + stranger.Error, StringComparison.Ordinal);
        await using var again = FhirTestHub.Over(database);
        using var after = await again.GetAsync("/health", null);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        await using var db = again.Contexts.Create();
        Assert.Equal(recorded, db.Set<Data.Cluster.HubSetting>().Single(s => s.Name == Data.Cluster.KeyRingFingerprint.SettingName).Value);
    }
}

public sealed class SqliteKeyRingFingerprintTests() : KeyRingFingerprintTests(DatabaseEngine.Sqlite);

public sealed class PostgresKeyRingFingerprintTests() : KeyRingFingerprintTests(DatabaseEngine.Postgres);

/// <summary>A person's rate limit holds across hub nodes on one PostgreSQL: two nodes do not allow twice the limit.</summary>
public sealed class SharedRateLimitTests
{
    [Fact]
    public async Task Given_a_person_who_used_most_of_their_limit_at_one_node_then_another_node_allows_only_the_rest()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres);
        var limits = new Dictionary<string, string?> { ["SharingHub:RateLimits:PersonRequestsPerMinute"] = "10", ["SharingHub:RateLimits:RejectionDelayMilliseconds"] = "0" };
        await using var a = FhirTestHub.ListeningOver(database, limits);
        await using var b = FhirTestHub.ListeningOver(database, limits);
        using (var other = await b.GetAsync("/me", "demo-la-front-door"))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        await Security.RateLimitTests.InsideOneMinuteAsync();
        for (var i = 0; i < 8; i++)
        {
            using var served = await a.GetAsync("/me", "demo-la-lcpp");
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        // Each node shares its counts every second (here called at once, in order). B learns the others' count for a
        // caller at its first round after it has seen that caller: until then it counts alone (at most a second).
        await a.Services.GetRequiredService<Hosting.SharedRateCounters>().SyncAsync(CancellationToken.None);
        using (var ninth = await b.GetAsync("/me", "demo-la-lcpp"))
        {
            Assert.Equal(HttpStatusCode.OK, ninth.StatusCode);
        }
        await b.Services.GetRequiredService<Hosting.SharedRateCounters>().SyncAsync(CancellationToken.None);

        var atB = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await b.GetAsync("/me", "demo-la-lcpp");
            atB.Add(response.StatusCode);
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], atB);
        // And A, once both have shared their counts again, knows of B's two.
        await b.Services.GetRequiredService<Hosting.SharedRateCounters>().SyncAsync(CancellationToken.None);
        await a.Services.GetRequiredService<Hosting.SharedRateCounters>().SyncAsync(CancellationToken.None);
        using (var atA = await a.GetAsync("/me", "demo-la-lcpp"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, atA.StatusCode);
        }
        using var stillServed = await b.GetAsync("/me", "demo-la-front-door");
        Assert.Equal(HttpStatusCode.OK, stillServed.StatusCode);
        await using var db = a.Contexts.Create();
        Assert.DoesNotContain(db.Set<Data.Cluster.RateCounter>().Select(c => c.Key).ToList(), k => k.Contains("demo", StringComparison.Ordinal));
    }
}
