using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Benchmarks;

/// <summary>
/// Several hub nodes (issue 30): three hub processes on one PostgreSQL primary, with a hot standby made by
/// <c>pg_basebackup</c> for the reads that tolerate a stated lag, behind a real HAProxy on 127.0.0.1, as a partnership
/// would run them. Every request goes through the load balancer, round robin, so consecutive requests of
/// one caller land on different nodes. Checked, with figures: lag-tolerant reads (statistics) are answered by the standby;
/// a person signed in through one node is signed in at every
/// node; a client assertion used at one node is refused when replayed through another, and crafted assertions are
/// refused whichever node answers; secured reads with one, two and three nodes in service; one node killed with
/// SIGKILL under mixed load loses no acknowledged write, leaves the audit log whole, the others carry on, and the killed
/// node rejoins; every notification the hub owes is delivered, and duplicates at the receiver are counted.
/// </summary>
internal static partial class ClusterBenchmark
{
    private const string ClientId = "cluster-check";
    private static readonly string[] NodeNames = ["hub1", "hub2", "hub3"];

    public static async Task<bool> RunAsync(Report report, bool smoke)
    {
        var clock = Stopwatch.StartNew();
        var problems = new List<string>();
        var table = new StringBuilder();
        // A server of its own, so that a streaming standby can be made from it as production makes one.
        var primary = await PostgresServer.StartOwnAsync();
        PostgresServer? standby = null;
        try
        {
            await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres, pooled: true, server: primary);
            standby = await primary.StartStandbyAsync();
            var standbyDatabase = standby.ConnectionString(new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString).Database!);
            return await RunOnAsync(report, smoke, clock, problems, table, database, standbyDatabase);
        }
        finally
        {
            if (standby is not null)
            {
                await standby.StopAsync();
            }
            await primary.StopAsync();
        }
    }

    private static async Task<bool> RunOnAsync(Report report, bool smoke, Stopwatch clock, List<string> problems, StringBuilder table, TestDatabase database, string standbyDatabase)
    {
        await using var services = await database.StartServicesAsync();
        var setup = await CrashBenchmark.SetUpAsync(services);
        await using var police = await StubReceiver.StartAsync();
        var client = TestKey.NewEc("ES384");
        var registry = Path.Combine(database.Folder, "cluster-trust-registry.yaml");
        await File.WriteAllTextAsync(registry, $"""
            clients:
              - client-id: {ClientId}
                agency: la
                name: Cluster check (test)
                jwks: '{client.PublicJwks()}'
                scopes: [system/*.rs]
            """);
        var balancerPort = HubProcess.FreePort();
        var publicUrl = $"http://127.0.0.1:{balancerPort}";
        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string[] settings =
        [
            // Every node is the one hub at the balancer's address (token audience and issuer, sign-in callbacks).
            $"--SharingHub:Identity:PublicBaseUrl={publicUrl}", "--SharingHub:Hosting:TrustedProxies:0=127.0.0.1",
            "--SharingHub:Identity:TrustRegistryFiles:0=policies/trust-registry.yaml", $"--SharingHub:Identity:TrustRegistryFiles:1={registry}",
            $"--SharingHub:Notifications:Endpoints:police:Url={police.Url}", $"--SharingHub:Notifications:Endpoints:police:Secret={secret}",
            "--SharingHub:Notifications:PollSeconds=0.5", "--SharingHub:Notifications:FirstRetrySeconds=1",
            // Reads that tolerate a stated lag (statistics, audit reports and exports) go to the standby.
            $"--{DatabaseOptions.Section}:ReplicaConnectionString={standbyDatabase}",
        ];
        var ports = NodeNames.Select(_ => HubProcess.FreePort()).ToArray();
        var nodes = new HubProcess?[NodeNames.Length];
        HaProxy? balancer = null;
        try
        {
            // The first node migrates the database and makes the shared keys; the others join it.
            for (var i = 0; i < nodes.Length; i++)
            {
                nodes[i] = await HubProcess.StartAsync(database, settings, port: ports[i]);
            }
            balancer = await HaProxy.StartAsync(Path.Combine(database.Folder, "haproxy"), balancerPort, NodeNames.Zip(ports).ToList());
            using var http = new HttpClient { BaseAddress = balancer.Url, Timeout = TimeSpan.FromSeconds(30) };
            table.AppendLine(CultureInfo.InvariantCulture, $"#### Several hub nodes: 3 hub processes on one PostgreSQL (with a streaming standby) behind HAProxy (round robin), {(smoke ? "smoke run" : "full run")}");
            table.AppendLine();
            table.AppendLine("| checked through the load balancer | result | failures |");
            table.AppendLine("|---|---|---:|");

            var replica = await ReplicaAtEveryNodeAsync(nodes);
            var replicaUnhealthy = replica.Contains("degraded", StringComparison.Ordinal) || replica.Contains("missing", StringComparison.Ordinal);
            table.AppendLine(CultureInfo.InvariantCulture, $"| a streaming standby (`pg_basebackup`) for lag-tolerant reads, as each node's `/health` reports it | {replica} | {(replicaUnhealthy ? 1 : 0)} |");
            if (replicaUnhealthy)
            {
                problems.Add($"standby: {replica}");
            }

            var lagTolerant = await StatisticsFromStandbyAsync(http, standbyDatabase, smoke ? 12 : 60);
            table.AppendLine(CultureInfo.InvariantCulture, $"| lag-tolerant reads (the analyst's monthly measures) through the balancer, served by the standby | {lagTolerant.Summary} | {lagTolerant.Failures} |");
            if (lagTolerant.Failures > 0)
            {
                problems.Add($"statistics from the standby: {lagTolerant.Summary}");
            }

            var signIn = await SignInAcrossNodesAsync(balancer.Url);
            table.AppendLine(CultureInfo.InvariantCulture, $"| signed in through one node (sign-in's 3 steps each on the next node); the home page then read 6 times | served by {string.Join(", ", signIn.Nodes)}; signed in at {signIn.SignedInReads} of 6 | {6 - signIn.SignedInReads} |");
            if (signIn.SignedInReads != 6 || signIn.Nodes.Count != NodeNames.Length)
            {
                problems.Add($"session across nodes: signed in at {signIn.SignedInReads} of 6 reads, served by {string.Join(", ", signIn.Nodes)}: {signIn.Problem}");
            }

            var assertions = await AssertionsAsync(http, client, publicUrl);
            table.AppendLine(CultureInfo.InvariantCulture, $"| client assertions: one used at a node, then replayed through the others; {assertions.Crafted} crafted ones | {assertions.Summary} | {assertions.Problems.Count} |");
            problems.AddRange(assertions.Problems);

            var tokens = await CrashBenchmark.TokensAsync(http);
            var throughput = await ThroughputAsync(balancer, http, nodes[0]!.Url, tokens, setup, smoke ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10));
            table.AppendLine(CultureInfo.InvariantCulture, $"| secured chronology reads, 16 callers: straight to one node, then through the balancer with 1, 2, 3 nodes in service (ratio to 1 node through it) | {throughput.Summary} | {throughput.Errors} |");
            if (throughput.Errors > 0)
            {
                problems.Add($"throughput: {throughput.Errors} reads failed");
            }

            var kill = await KillUnderLoadAsync(balancer, http, tokens, setup, database, settings, ports, nodes, services, police, smoke);
            table.AppendLine(kill.Rows.TrimEnd());
            problems.AddRange(kill.Problems);

            var (onPrimary, onStandby, after) = await StandbyCaughtUpAsync(database, standbyDatabase);
            table.AppendLine(CultureInfo.InvariantCulture, $"| the standby after the kill: the audit entries the primary holds, replayed there | {onStandby:N0} of {onPrimary:N0}, within {after.TotalSeconds:N1} s | {(onStandby >= onPrimary ? 0 : 1)} |");
            if (onStandby < onPrimary)
            {
                problems.Add($"standby: {onStandby} of {onPrimary} audit entries replayed within 30 s");
            }
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TimeoutException or JsonException or IOException)
        {
            problems.Add($"the cluster check stopped: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            if (balancer is not null)
            {
                await balancer.DisposeAsync();
            }
            foreach (var node in nodes)
            {
                if (node is not null)
                {
                    await node.DisposeAsync();
                }
            }
        }
        table.AppendLine();
        table.AppendLine(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalMinutes:N1} min. The nodes, PostgreSQL, HAProxy and the load share this machine's {Environment.ProcessorCount} cores: more nodes cannot add cores here, so the 2- and 3-node figures show the balancer's cost and that nothing serialises across nodes, not the gain a machine per node would give.");
        foreach (var problem in problems.Take(20))
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"\n- FAILED {problem}");
        }
        report.AddSection(table.ToString());
        Console.Error.WriteLine(problems.Count == 0
            ? "cluster: 3 nodes behind HAProxy: session, replay, kill under load, notifications: all held"
            : $"cluster: {problems.Count} problems; first: {problems[0]}");
        return problems.Count == 0;
    }

    /// <summary>Each node's own view of the standby (straight to the node, not through the balancer): healthy once it streams.</summary>
    private static async Task<string> ReplicaAtEveryNodeAsync(HubProcess?[] nodes)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var states = new List<string>();
        for (var i = 0; i < nodes.Length; i++)
        {
            var state = "missing";
            // Each node samples the standby's lag every second; give it a few.
            for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(15); await Task.Delay(250))
            {
                using var health = await http.GetAsync(new Uri(nodes[i]!.Url, "/health"));
                using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
                state = body.RootElement.TryGetProperty("checks", out var checks) && checks.TryGetProperty("replica", out var r) ? r.GetString() ?? "missing" : "missing";
                if (state == "healthy")
                {
                    break;
                }
            }
            states.Add($"{NodeNames[i]} {state}");
        }
        return string.Join(", ", states);
    }

    /// <summary>One count (a fixed statement, no values) from the primary or the standby.</summary>
    private static async Task<long> CountAsync(string connectionString, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private sealed record LagTolerantResult(string Summary, int Failures);

    /// <summary>
    /// The analyst reads this month's measures <paramref name="reads"/> times through the balancer (so from every node); each
    /// must answer, and the standby's own count of table scans must grow by at least as many (PostgreSQL counts scans where
    /// they run, and a standby's counts are its own; nothing else reads the standby's tables here; a backend reports its
    /// counts when idle, so they are awaited for up to 20 s).
    /// </summary>
    private static async Task<LagTolerantResult> StatisticsFromStandbyAsync(HttpClient http, string standbyDatabase, int reads)
    {
        const string Scans = "SELECT COALESCE(sum(seq_scan + COALESCE(idx_scan, 0)), 0)::bigint FROM pg_stat_user_tables";
        var analyst = await CrashBenchmark.TokenAsync(http, "demo-la-analyst");
        var before = await CountAsync(standbyDatabase, Scans);
        var period = DateTimeOffset.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var answered = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < reads; i++)
        {
            using var response = await http.SendAsync(CrashBenchmark.Request(HttpMethod.Get, $"/statistics/measures?period={period}", analyst, purpose: "statistics"));
            answered += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }
        var took = clock.Elapsed;
        long grown = 0;
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(20); await Task.Delay(500))
        {
            grown = await CountAsync(standbyDatabase, Scans) - before;
            if (grown >= reads)
            {
                break;
            }
        }
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{answered} of {reads} answered ({reads / took.TotalSeconds:N0}/s); table scans on the standby: {grown:N0}");
        return new LagTolerantResult(summary, (reads - answered) + (grown >= reads ? 0 : 1));
    }

    /// <summary>Waits (up to 30 s) until the standby holds as many audit entries as the primary: nothing the nodes acknowledged is missing there.</summary>
    private static async Task<(long Primary, long Standby, TimeSpan After)> StandbyCaughtUpAsync(TestDatabase database, string standbyDatabase)
    {
        const string Entries = "SELECT count(*) FROM \"AuditEntries\"";
        var onPrimary = await CountAsync(database.ConnectionString, Entries);
        var waited = Stopwatch.StartNew();
        long onStandby = 0;
        while (waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            onStandby = await CountAsync(standbyDatabase, Entries);
            if (onStandby >= onPrimary)
            {
                break;
            }
            await Task.Delay(200);
        }
        return (onPrimary, onStandby, waited.Elapsed);
    }

    private sealed record SignInResult(IReadOnlyList<string> Nodes, int SignedInReads, string Problem);

    /// <summary>Signs in as a browser would, through the balancer, then reads the home page six times (two rounds of the nodes).</summary>
    private static async Task<SignInResult> SignInAcrossNodesAsync(Uri balancer)
    {
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = balancer };
        var nodes = new List<string>();
        string Served(HttpResponseMessage response)
        {
            var node = response.Headers.TryGetValues(HaProxy.NodeHeader, out var values) ? values.First() : "?";
            nodes.Add(node);
            return node;
        }
        using var start = await browser.GetAsync(new Uri("/signin?agency=la", UriKind.Relative));
        Served(start);
        if (start.StatusCode != HttpStatusCode.Redirect || start.Headers.Location is null)
        {
            return new SignInResult(nodes, 0, $"/signin answered {(int)start.StatusCode}");
        }
        var authorize = start.Headers.Location;
        using var page = await browser.GetAsync(authorize);
        Served(page);
        var fields = HiddenField().Matches(await page.Content.ReadAsStringAsync()).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
        fields["user"] = "demo-la-lcpp";
        using var chosen = await browser.PostAsync(new Uri(authorize.GetLeftPart(UriPartial.Path)), new FormUrlEncodedContent(fields));
        Served(chosen);
        if (chosen.Headers.Location is null)
        {
            return new SignInResult(nodes, 0, $"the sign-in page answered {(int)chosen.StatusCode}");
        }
        using var callback = await browser.GetAsync(chosen.Headers.Location);
        Served(callback);
        if (callback.StatusCode != HttpStatusCode.Redirect)
        {
            return new SignInResult(nodes, 0, $"the callback answered {(int)callback.StatusCode}: {await callback.Content.ReadAsStringAsync()}");
        }
        var signedIn = 0;
        var problem = "";
        for (var read = 0; read < 6; read++)
        {
            using var landing = await browser.GetAsync(new Uri("/", UriKind.Relative));
            var node = Served(landing);
            if ((await landing.Content.ReadAsStringAsync()).Contains("data-testid=\"subject\">demo-la-lcpp<", StringComparison.Ordinal))
            {
                signedIn++;
            }
            else
            {
                problem = $"not signed in at {node}";
            }
        }
        return new SignInResult(nodes.Distinct().Order().ToList(), signedIn, problem);
    }

    private sealed record AssertionResult(int Crafted, string Summary, List<string> Problems);

    /// <summary>
    /// SMART Backend Services client assertions through the balancer: a good one used once (one node) and replayed (the
    /// next nodes); crafted ones, each of which every node must refuse.
    /// </summary>
    private static async Task<AssertionResult> AssertionsAsync(HttpClient http, TestKey key, string publicUrl)
    {
        var problems = new List<string>();
        var tokenEndpoint = publicUrl + "/token";
        string Assertion(Action<Dictionary<string, object>>? header = null, Action<Dictionary<string, object>>? payload = null)
        {
            var h = new Dictionary<string, object> { ["alg"] = key.Alg, ["typ"] = "JWT", ["kid"] = key.Kid };
            var p = new Dictionary<string, object>
            {
                ["iss"] = ClientId, ["sub"] = ClientId, ["aud"] = tokenEndpoint, ["exp"] = TestJwt.Unix(DateTimeOffset.UtcNow.AddMinutes(4)), ["jti"] = Guid.NewGuid().ToString("N"),
            };
            header?.Invoke(h);
            payload?.Invoke(p);
            return TestJwt.Sign(key, h, p);
        }
        async Task<(HttpStatusCode Status, string Node, string Error)> TokenAsync(string assertion)
        {
            using var response = await http.PostAsync(new Uri("/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ["client_assertion"] = assertion, ["scope"] = "system/*.rs",
            }));
            var body = await response.Content.ReadAsStringAsync();
            var error = response.IsSuccessStatusCode ? "" : JsonDocument.Parse(body).RootElement.TryGetProperty("error", out var e) ? e.GetString() ?? "" : body;
            return (response.StatusCode, response.Headers.TryGetValues(HaProxy.NodeHeader, out var v) ? v.First() : "?", error);
        }

        var used = Assertion();
        var first = await TokenAsync(used);
        if (first.Status != HttpStatusCode.OK)
        {
            problems.Add($"a good client assertion was refused at {first.Node}: {(int)first.Status} {first.Error}");
        }
        var replayedAt = new List<string>();
        for (var replay = 0; replay < NodeNames.Length - 1; replay++)
        {
            var again = await TokenAsync(used);
            replayedAt.Add(again.Node);
            if (again.Node == first.Node)
            {
                problems.Add($"the replay went to the node that accepted the assertion ({first.Node}): the balancer did not spread the requests");
            }
            if (again.Status != HttpStatusCode.Unauthorized || again.Error != "invalid_client")
            {
                problems.Add($"an assertion used at {first.Node} and replayed through {again.Node} answered {(int)again.Status} {again.Error}");
            }
        }
        var now = DateTimeOffset.UtcNow;
        var crafted = new (string Name, string Assertion)[]
        {
            ("expired", Assertion(payload: p => p["exp"] = TestJwt.Unix(now.AddMinutes(-10)))),
            ("aud one node's own address, not the hub's", Assertion(payload: p => p["aud"] = "http://127.0.0.1:1/token")),
            ("alg none", TestJwt.Encode("{\"alg\":\"none\"}") + "." + TestJwt.Encode(TestJwt.Json(new { iss = ClientId, sub = ClientId, aud = tokenEndpoint, exp = now.AddMinutes(4).ToUnixTimeSeconds(), jti = "n1" })) + "."),
            ("unknown kid", Assertion(header: h => h["kid"] = "nope")),
            ("registered kid, other key", TestJwt.Sign(TestKey.NewEc("ES384", kid: key.Kid), new Dictionary<string, object> { ["alg"] = "ES384", ["typ"] = "JWT", ["kid"] = key.Kid },
                new Dictionary<string, object> { ["iss"] = ClientId, ["sub"] = ClientId, ["aud"] = tokenEndpoint, ["exp"] = TestJwt.Unix(now.AddMinutes(4)), ["jti"] = Guid.NewGuid().ToString("N") })),
            ("missing jti", Assertion(payload: p => p.Remove("jti"))),
        };
        var craftedNodes = new HashSet<string>(StringComparer.Ordinal);
        // Each crafted assertion at every node (three rounds of the balancer).
        foreach (var (name, assertion) in crafted.SelectMany(c => Enumerable.Repeat(c, NodeNames.Length)))
        {
            var answer = await TokenAsync(assertion);
            craftedNodes.Add(answer.Node);
            if (answer.Status != HttpStatusCode.Unauthorized || answer.Error != "invalid_client")
            {
                problems.Add($"crafted assertion '{name}' answered {(int)answer.Status} {answer.Error} at {answer.Node}");
            }
        }
        return new AssertionResult(crafted.Length,
            $"used at {first.Node} ({(int)first.Status}), replays refused at {string.Join(" and ", replayedAt)}; crafted refused at {string.Join(", ", craftedNodes.Order())}", problems);
    }

    private sealed record ThroughputResult(string Summary, long Errors);

    /// <summary>Secured chronology reads through the balancer with 1, 2 and 3 nodes in service (the others in maintenance).</summary>
    private static async Task<ThroughputResult> ThroughputAsync(HaProxy balancer, HttpClient http, Uri oneNode, CrashBenchmark.Tokens tokens, CrashBenchmark.Setup setup,
        TimeSpan duration)
    {
        var rates = new List<double>();
        // The balancer's own cost: the same reads straight to one node.
        using var direct = new HttpClient { BaseAddress = oneNode, Timeout = TimeSpan.FromSeconds(30) };
        await ReadForAsync(direct, tokens, setup, TimeSpan.FromSeconds(1));
        var (directCount, errors, directElapsed) = await ReadForAsync(direct, tokens, setup, duration);
        var directRate = directCount / directElapsed.TotalSeconds;
        for (var inService = 1; inService <= NodeNames.Length; inService++)
        {
            for (var n = 0; n < NodeNames.Length; n++)
            {
                await balancer.SetInServiceAsync(NodeNames[n], n < inService);
            }
            if (!await balancer.WaitForUpAsync(NodeNames.Take(inService).ToList(), TimeSpan.FromSeconds(20)))
            {
                throw new TimeoutException($"HAProxy did not put {inService} nodes in service within 20 s");
            }
            // Warm up (a node's first requests compile and fill caches), then measure.
            await ReadForAsync(http, tokens, setup, TimeSpan.FromSeconds(1));
            var (count, failed, elapsed) = await ReadForAsync(http, tokens, setup, duration);
            rates.Add(count / elapsed.TotalSeconds);
            errors += failed;
        }
        var summary = string.Create(CultureInfo.InvariantCulture, $"straight: {directRate:N0}/s ({directRate / rates[0]:N2}x); ") + string.Join("; ", rates.Select((r, i) => string.Create(CultureInfo.InvariantCulture, $"{i + 1} node{(i == 0 ? "" : "s")}: {r:N0}/s ({r / rates[0]:N2}x)")));
        return new ThroughputResult(summary, errors);
    }

    private static async Task<(long Count, long Failed, TimeSpan Elapsed)> ReadForAsync(HttpClient http, CrashBenchmark.Tokens tokens, CrashBenchmark.Setup setup, TimeSpan duration)
    {
        long count = 0;
        long failed = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                using var request = CrashBenchmark.Request(HttpMethod.Get, $"/fhir/Patient/{setup.LaChild}/$chronology", tokens.Lcpp, purpose: "s47-enquiry", enquiry: setup.Enquiry);
                using var response = await http.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                Interlocked.Increment(ref response.IsSuccessStatusCode ? ref count : ref failed);
            }
        })));
        return (count, failed, clock.Elapsed);
    }

    private sealed record KillResult(string Rows, List<string> Problems);

    /// <summary>
    /// Mixed load through the balancer; one node killed with SIGKILL in the middle of it; the load carries on through the
    /// other two; then everything acknowledged is checked, the notices counted at the receiver, and the node restarted.
    /// </summary>
    private static async Task<KillResult> KillUnderLoadAsync(HaProxy balancer, HttpClient http, CrashBenchmark.Tokens tokens, CrashBenchmark.Setup setup,
        TestDatabase database, string[] settings, int[] ports, HubProcess?[] nodes, Microsoft.Extensions.DependencyInjection.ServiceProvider services,
        StubReceiver police, bool smoke)
    {
        var problems = new List<string>();
        foreach (var name in NodeNames)
        {
            await balancer.SetInServiceAsync(name, inService: true);
        }
        if (!await balancer.WaitForUpAsync(NodeNames, TimeSpan.FromSeconds(20)))
        {
            throw new TimeoutException("HAProxy did not put the three nodes back in service within 20 s");
        }
        var iteration = new CrashBenchmark.Iteration(0);
        using var stop = new CancellationTokenSource();
        var load = TimeSpan.FromSeconds(smoke ? 3 : 10);
        var workers = CrashBenchmark.MixedLoad(http, tokens, setup, iteration, stop.Token);
        await Task.Delay(load);
        var beforeKill = iteration.RequestIds.Count;
        const int victim = 1;
        await nodes[victim]!.KillAsync();
        var killedAt = Stopwatch.StartNew();
        await Task.Delay(load);
        var afterKill = iteration.RequestIds.Count - beforeKill;
        var out2 = await balancer.UpAsync();
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        if (afterKill == 0)
        {
            problems.Add($"no request was acknowledged in the {load.TotalSeconds:N0} s after {NodeNames[victim]} was killed: the other nodes did not carry on");
        }
        if (out2.Contains(NodeNames[victim]))
        {
            problems.Add($"HAProxy still sends requests to {NodeNames[victim]} {killedAt.Elapsed.TotalSeconds:N0} s after it was killed");
        }

        var totals = new CrashBenchmark.Totals();
        problems.AddRange(await CrashBenchmark.CheckAsync(http, tokens, services, setup, iteration, police, totals));
        var deliveries = police.Received.Select(r => r.Headers.GetValueOrDefault("X-SharingHub-Notification-Id") ?? "").ToList();
        var duplicates = deliveries.Count - deliveries.Distinct(StringComparer.OrdinalIgnoreCase).Count();

        // The killed node rejoins: restarted where the balancer expects it, it is checked healthy and served to again.
        await nodes[victim]!.DisposeAsync();
        nodes[victim] = null;
        var restart = Stopwatch.StartNew();
        nodes[victim] = await HubProcess.StartAsync(database, settings, port: ports[victim]);
        var rejoined = await balancer.WaitForUpAsync(NodeNames, TimeSpan.FromSeconds(30));
        var servedBy = new ConcurrentBag<string>();
        for (var i = 0; rejoined && i < NodeNames.Length * 2; i++)
        {
            using var request = CrashBenchmark.Request(HttpMethod.Get, $"/fhir/Patient/{setup.LaChild}/$chronology", tokens.Lcpp, purpose: "s47-enquiry", enquiry: setup.Enquiry);
            using var response = await http.SendAsync(request);
            if (response.IsSuccessStatusCode && response.Headers.TryGetValues(HaProxy.NodeHeader, out var node))
            {
                servedBy.Add(node.First());
            }
        }
        var rejoinSeconds = restart.Elapsed.TotalSeconds;
        if (!rejoined || !servedBy.Contains(NodeNames[victim]))
        {
            problems.Add($"{NodeNames[victim]}, restarted, was not served to within 30 s (served by: {string.Join(", ", servedBy.Distinct())})");
        }

        var rows = new StringBuilder();
        rows.AppendLine(CultureInfo.InvariantCulture, $"| mixed load (bundles, OData writes, chronologies, strategy meetings, front-door triage) for {load.TotalSeconds:N0} s, {NodeNames[victim]} killed (SIGKILL), {load.TotalSeconds:N0} s more | requests acknowledged: {beforeKill:N0} before, {afterKill:N0} after the kill | {(afterKill == 0 ? 1 : 0)} |");
        rows.AppendLine(CultureInfo.InvariantCulture, $"| acknowledged writes there as written (read back through the balancer) | {totals.WritesChecked:N0} | {totals.WritesLost} |");
        rows.AppendLine(CultureInfo.InvariantCulture, $"| transaction bundles all there or not at all | {totals.BundlesChecked:N0} | {totals.BundlesHalf} |");
        rows.AppendLine(CultureInfo.InvariantCulture, $"| acknowledged requests with their audit entry | {totals.RequestsChecked:N0} | {totals.RequestsUnaudited} |");
        rows.AppendLine(CultureInfo.InvariantCulture, $"| audit log verifies (no fork, no gap): entries written by three nodes | {totals.AuditEntries:N0} | {totals.AuditFailures} |");
        rows.AppendLine(CultureInfo.InvariantCulture, $"| notices owed to police delivered; deliveries received, duplicates among them | {totals.NoticesOwed:N0} owed; {deliveries.Count:N0} received, {duplicates} duplicates | {totals.NoticesUndelivered} |");
        rows.AppendLine(CultureInfo.InvariantCulture, $"| {NodeNames[victim]} restarted: healthy at the balancer and served to again | {(rejoined && servedBy.Contains(NodeNames[victim]) ? $"after {rejoinSeconds:N1} s" : "no")} | {(rejoined && servedBy.Contains(NodeNames[victim]) ? 0 : 1)} |");
        return new KillResult(rows.ToString().TrimEnd(), problems);
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenField();
}
