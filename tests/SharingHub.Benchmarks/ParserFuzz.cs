using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Loading;
using SharingHub.Policies.Trust;
using SharingHub.Testing;

namespace SharingHub.Benchmarks;

/// <summary>
/// Parsers at volume (issue 28, family 6): seeded, generated inputs for every parser that takes what a caller or an operator
/// writes: FHIR JSON bodies (resources and transaction bundles), FHIR search parameters, OData query options and bodies,
/// the hub's own workflow JSON bodies, bearer tokens and client assertions (JWT), over HTTP to the hub as its own process; the policy YAML and the trust
/// registry, through their loaders. No answer may be a 5xx or take a second, and no answer or hub log line may carry a
/// stack trace, SQL, a file path or a token. A failing input is printed with its family, seed and index, so it replays.
/// </summary>
internal static partial class ParserFuzz
{
    private const string Purpose = "s47-enquiry";

    public static async Task<bool> RunAsync(Report report, DatabaseEngine engine, int count, int seed, string? only = null)
    {
        await using var database = await TestDatabase.CreateAsync(engine, pooled: true);
        await using var services = await database.StartServicesAsync();
        var setup = await CrashBenchmark.SetUpAsync(services);
        var builder = new RecordBuilder(services.GetRequiredService<IFieldCipher>(), services.GetRequiredService<IBlindIndexer>());
        var healthChild = builder.Person("health", "Mia", "Crashtest", "2016-05-14", IdentifierKind.NhsNumber, "9990000026");
        healthChild.OwningOrganisation = "trust-northgate";
        healthChild = await services.GetRequiredService<IRecordStore>().AddAsync(healthChild, CancellationToken.None);
        // The token endpoint's own per-address limit would otherwise answer most generated assertions with 429, unparsed.
        await using var hub = await HubProcess.StartAsync(database, ["--SharingHub:Identity:TokenRequestsPerMinute=0"], captureLog: true);
        // Header values go out as UTF-8 bytes, as a hostile client would send them (HttpClient would otherwise refuse non-ASCII itself).
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 8, RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 })
        {
            BaseAddress = hub.Url, Timeout = TimeSpan.FromSeconds(30),
        };
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["health"] = await CrashBenchmark.TokenAsync(http, "demo-health-practitioner"),
            ["police"] = await CrashBenchmark.TokenAsync(http, "demo-police-officer"),
            ["lcpp"] = await CrashBenchmark.TokenAsync(http, "demo-la-lcpp"),
        };
        var seeds = new Seeds(setup, healthChild.Id);
        var results = new List<FamilyResult>();
        var families = Families(seeds, tokens, setup);
        var secrets = tokens.Values.Select(t => t.Split('.')[2]).ToList();
        bool Chosen(string name) => only is null || name.StartsWith(only, StringComparison.OrdinalIgnoreCase);
        foreach (var (name, make) in families.Where(f => Chosen(f.Name)))
        {
            // A changed bearer token must never be accepted: a 2xx passes only if the token sent is the valid one, written
            // differently (scheme case, surrounding spaces, base64url's unused final bits), byte for byte the same when decoded.
            Func<HttpRequestMessage, bool>? sameCredential = name.StartsWith("bearer", StringComparison.Ordinal) ? r => SameToken(r, tokens["lcpp"]) : null;
            results.Add(await SendAllAsync(http, name, make, count, seed, secrets, sameCredential));
        }
        if (Chosen("policy YAML"))
        {
            results.Add(LoadAll("policy YAML", count, seed, Policies));
        }
        if (Chosen("trust registry YAML"))
        {
            results.Add(LoadAll("trust registry YAML", count, seed, TrustRegistry));
        }

        var logProblems = hub.Log.Where(line => Leaks(line, secrets) is not null).Take(5).ToList();
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"#### Parsers at volume ({engine}): {count:N0} generated inputs per family, seed {seed}");
        table.AppendLine();
        table.AppendLine("| family | inputs | answers (status: count) | slowest ms | 5xx | over 1 s | leaks | changed credential accepted |");
        table.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Count:N0} | {string.Join(", ", r.Statuses.OrderByDescending(s => s.Value).Take(6).Select(s => $"{s.Key}: {s.Value:N0}"))} | {r.SlowestMs:N0} | {r.ServerErrors} | {r.Slow} | {r.Leaks} | {(r.Name.StartsWith("bearer", StringComparison.Ordinal) ? r.Accepted.ToString(CultureInfo.InvariantCulture) : "-")} |");
        }
        table.AppendLine();
        table.AppendLine(CultureInfo.InvariantCulture, $"The hub's log: {hub.Log.Count:N0} lines at warning or above, {logProblems.Count} with a stack trace, SQL, a path or a token.");
        foreach (var failure in results.SelectMany(r => r.Failures.Take(4)).Take(24).Concat(logProblems.Select(l => "log: " + l[..Math.Min(300, l.Length)])))
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"\n- FAILED {failure}");
        }
        if (Environment.GetEnvironmentVariable("SHARINGHUB_FUZZ_LOG") is { Length: > 0 } logFile)
        {
            await File.WriteAllLinesAsync(logFile, hub.Log);
        }
        report.AddSection(table.ToString());
        var passed = results.All(r => r.Failures.Count == 0) && logProblems.Count == 0;
        Console.Error.WriteLine(passed ? $"parsers ({engine}): {results.Sum(r => r.Count):N0} inputs, no 5xx, none slow, nothing leaked"
            : $"parsers ({engine}): FAILED; first: {results.SelectMany(r => r.Failures).Concat(logProblems).First()}");
        return passed;
    }

    /// <summary>Every family of HTTP inputs: its name and how one input is made from its generator.</summary>
    private static (string Name, Func<Random, HttpRequestMessage> Make)[] Families(Seeds seeds, Dictionary<string, string> tokens, CrashBenchmark.Setup setup)
    {
        return new (string Name, Func<Random, HttpRequestMessage> Make)[]
        {
            ("FHIR resource bodies", r => Post(Mutate(r, seeds.Resources[r.Next(seeds.Resources.Length)].Body, Json: true), "application/fhir+json",
                seeds.Resources[r.Next(seeds.Resources.Length)].Path, tokens["health"])),
            ("FHIR transaction bundles", r => Post(Mutate(r, seeds.Bundle, Json: true), "application/fhir+json", "/fhir", tokens["health"])),
            ("FHIR search parameters", r => Get(Mutate(r, seeds.Searches[r.Next(seeds.Searches.Length)], Json: false), tokens["lcpp"], setup.Enquiry)),
            ("OData query options", r => Get(Mutate(r, seeds.OData[r.Next(seeds.OData.Length)], Json: false), tokens["lcpp"], setup.Enquiry)),
            ("OData bodies", r => Post(Mutate(r, seeds.ODataBody, Json: true), "application/json", "/odata/Events", tokens["police"])),
            ("workflow bodies (JSON)", r =>
            {
                var (path, body) = seeds.Workflow[r.Next(seeds.Workflow.Length)];
                return Post(Mutate(r, body, Json: true), "application/json", path, tokens["lcpp"]);
            }),
            ("bearer tokens (JWT)", r => MutatedBearer(r, tokens["lcpp"], setup)),
            ("client assertions (JWT) at /token", r => MutatedAssertion(r)),
        };
    }

    /// <summary>
    /// Prints one generated input (a failure's family, index and seed), as it was sent, to replay it by hand or in a
    /// regression test. Record ids are zeros here; the edits fall in the same places.
    /// </summary>
    public static async Task ReplayAsync(string family, int index, int seed)
    {
        var setup = new CrashBenchmark.Setup(Guid.Empty, Guid.Empty, Guid.Empty, Guid.Empty, Guid.Empty);
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal) { ["health"] = "TOKEN.TOKEN.TOKEN", ["police"] = "TOKEN.TOKEN.TOKEN", ["lcpp"] = "TOKEN.TOKEN.TOKEN" };
        var random = new Random(Seed(family, seed, index));
        if (family is "policy YAML" or "trust registry YAML")
        {
            var folder = Path.Combine(Path.GetTempPath(), "sharinghub-replay-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(folder);
            Console.WriteLine((family == "policy YAML" ? Policies(random, folder) : TrustRegistry(random, folder)) ?? "loaded");
            Console.WriteLine($"the mutated files are in {folder}");
            return;
        }
        var (_, make) = Families(new Seeds(setup, Guid.Empty), tokens, setup).Single(f => f.Name == family);
        using var request = make(random);
        Console.WriteLine($"{request.Method} {request.RequestUri}");
        foreach (var header in request.Headers)
        {
            Console.WriteLine($"{header.Key}: {string.Join(", ", header.Value)}");
        }
        if (request.Content is not null)
        {
            Console.WriteLine();
            Console.WriteLine(await request.Content.ReadAsStringAsync());
        }
    }

    private sealed class FamilyResult(string name)
    {
        public string Name { get; } = name;
        public int Count;
        public ConcurrentDictionary<string, int> Statuses { get; } = new(StringComparer.Ordinal);
        public double SlowestMs;
        public int ServerErrors;
        public int Slow;
        public int Leaks;
        public int Accepted;
        public ConcurrentQueue<string> Failures { get; } = new();
    }

    private static async Task<FamilyResult> SendAllAsync(HttpClient http, string name, Func<Random, HttpRequestMessage> make, int count, int seed, List<string> secrets,
        Func<HttpRequestMessage, bool>? sameCredential = null)
    {
        // Warm up first (the hub compiles each path on first use: a cold hub's first person write compiles a dozen linkage
        // queries and took 600-800 ms on a busy machine): those answers are not counted or timed. The first warm-ups are the
        // seeds as they are, so the write paths (valid bodies) are compiled too, not only the refusals mutated inputs reach.
        for (var w = 0; w < 40; w++)
        {
            Unmutated.Value = w < 20;
            using var warm = make(new Random(-1 - w));
            Unmutated.Value = false;
            try
            {
                using var _ = await http.SendAsync(warm);
            }
            catch (Exception e) when (e is HttpRequestException or UriFormatException)
            {
                // Counted in the run proper, if it happens there.
            }
        }
        var result = new FamilyResult(name);
        var slowest = new ConcurrentBag<double>();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            // One generator per input, seeded by family, seed and index: any input can be made again alone.
            var random = new Random(Seed(name, seed, i));
            using var request = make(random);
            var described = $"{name} #{i} (seed {seed}): {request.Method} {Clip(request.RequestUri?.OriginalString ?? "")}";
            var started = Stopwatch.GetTimestamp();
            string status;
            string body;
            try
            {
                using var response = await http.SendAsync(request);
                body = await response.Content.ReadAsStringAsync();
                status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                if (sameCredential is not null && response.IsSuccessStatusCode && !sameCredential(request))
                {
                    Interlocked.Increment(ref result.Accepted);
                    result.Failures.Enqueue($"{described} answered {status} to a changed credential: {Clip(request.Headers.Authorization?.ToString() ?? "")}");
                }
                if ((int)response.StatusCode >= 500)
                {
                    Interlocked.Increment(ref result.ServerErrors);
                    result.Failures.Enqueue($"{described} answered {status}: {Clip(body)}");
                }
            }
            catch (UriFormatException)
            {
                // Not a request any client can send: counted, not sent.
                status = "unsendable";
                body = "";
            }
            catch (HttpRequestException e)
            {
                status = "no answer";
                body = "";
                result.Failures.Enqueue($"{described}: the connection failed ({e.HttpRequestError})");
            }
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            slowest.Add(elapsed);
            if (elapsed > 1_000)
            {
                Interlocked.Increment(ref result.Slow);
                result.Failures.Enqueue($"{described} took {elapsed:N0} ms");
            }
            if (Leaks(body, secrets) is { } leak)
            {
                Interlocked.Increment(ref result.Leaks);
                result.Failures.Enqueue($"{described} answered with {leak}: {Clip(body)}");
            }
            result.Statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            Interlocked.Increment(ref result.Count);
        });
        result.SlowestMs = slowest.DefaultIfEmpty(0).Max();
        return result;
    }

    /// <summary>A generator's seed from the family's name, the run's seed and the input's index; the same in every process (HashCode is not).</summary>
    private static int Seed(string family, int seed, int index)
    {
        var hash = 17;
        foreach (var c in family)
        {
            hash = unchecked(hash * 31 + c);
        }
        return unchecked(hash * 1_000_003 + seed * 7_919 + index);
    }

    /// <summary>What must never be in an answer or a log line: a stack trace, SQL, a file path, a token.</summary>
    private static string? Leaks(string text, List<string> secrets)
    {
        if (StackFrame().IsMatch(text))
        {
            return "a stack trace";
        }
        if (Sql().IsMatch(text))
        {
            return "SQL";
        }
        if (FilePath().IsMatch(text))
        {
            return "a file path";
        }
        return secrets.Any(s => text.Contains(s, StringComparison.Ordinal)) ? "a token" : null;
    }

    [GeneratedRegex(@"\bat [\w.`<>]+\(.*\) in |   at [\w.`<>]+\.[\w<>`]+\(", RegexOptions.CultureInvariant)]
    private static partial Regex StackFrame();

    [GeneratedRegex(@"\b(SELECT\s+[\w""*]|INSERT\s+INTO|UPDATE\s+""\w+""\s+SET|DELETE\s+FROM)\b", RegexOptions.CultureInvariant)]
    private static partial Regex Sql();

    [GeneratedRegex(@"(?<![\w.:])/(work|tmp|home|root|usr|var|opt)/[\w.-]+/", RegexOptions.CultureInvariant)]
    private static partial Regex FilePath();

    private static string Clip(string text) => text.Length <= 200 ? text : text[..200] + "...";

    private static HttpRequestMessage Post(string body, string mediaType, string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static HttpRequestMessage Get(string pathAndQuery, string token, Guid enquiry)
    {
        // An edit that made it no path at all ("//host", "x") still goes to the hub, as a path under its root.
        pathAndQuery = "/" + pathAndQuery.TrimStart('/');
        var target = Uri.TryCreate(new Uri("http://127.0.0.1"), pathAndQuery, out var uri) ? uri.PathAndQuery : "/fhir/Patient?family=%25";
        var request = new HttpRequestMessage(HttpMethod.Get, "/" + target.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("X-Purpose-Of-Use", Purpose);
        request.Headers.TryAddWithoutValidation("X-Enquiry-Id", enquiry.ToString());
        return request;
    }

    private static readonly string[] Fragments =
    [
        "\"", "{", "}", "[", "]", ",", ":", "null", "true", "-1", "1e308", "0.0000001", "\"\"", "\\u0000", "\\ud800", "é", "😀", "\u202e", "\\",
        "\"resourceType\"", "\"Patient\"", "\"Bundle\"", "\"reference\":\"Patient/", "urn:uuid:", "\"2026-13-45\"", "\"2026-02-30T25:61:00Z\"",
        "%", "%27", "%00", "&", "=", "'", "eq", " and ", " or ", "not ", "$filter=", "$expand=", "$top=", "$skip=", "$orderby=", "$select=", "_count=",
        "_include=", "_revinclude=", "_sort=", "gt", "le", "ap", "sa", ":missing=true", ":exact=", "|", "..", "/", "(", ")", new string('(', 40),
        new string('a', 3_000), new string('[', 500), "99999999999999999999", "NaN", "INF", "$it", "@odata.bind", "People(", "Patient/", "Observation/",
    ];

    /// <summary>One to four edits of a valid input: characters deleted, fragments inserted, spans duplicated, cut short, or (JSON) values replaced.</summary>
    /// <summary>Set while warming up: <see cref="Mutate"/> returns its seed as it is.</summary>
    private static readonly AsyncLocal<bool> Unmutated = new();

    private static string Mutate(Random random, string text, bool Json)
    {
        if (Unmutated.Value)
        {
            return text;
        }
        if (Json && random.Next(3) == 0 && JsonNode.Parse(text) is { } root)
        {
            return ReplaceValue(random, root).ToJsonString();
        }
        for (var m = random.Next(1, 5); m > 0 && text.Length > 0; m--)
        {
            var at = random.Next(text.Length);
            text = random.Next(6) switch
            {
                0 => text.Remove(at, 1),
                1 => text.Insert(at, Fragments[random.Next(Fragments.Length)]),
                2 => text[..at],
                3 => text.Insert(at, text[at..Math.Min(text.Length, at + random.Next(1, 40))]),
                4 => text.Insert(at, ((char)random.Next(0, 0x2FFF)).ToString()),
                _ => text.Remove(at, Math.Min(text.Length - at, random.Next(1, 12))).Insert(at, Fragments[random.Next(Fragments.Length)]),
            };
        }
        return text;
    }

    private static JsonNode ReplaceValue(Random random, JsonNode root)
    {
        var nodes = new List<JsonNode>();
        void Walk(JsonNode? node)
        {
            if (node is null)
            {
                return;
            }
            nodes.Add(node);
            if (node is JsonObject o)
            {
                foreach (var (_, child) in o.ToList())
                {
                    Walk(child);
                }
            }
            else if (node is JsonArray a)
            {
                foreach (var child in a.ToList())
                {
                    Walk(child);
                }
            }
        }
        Walk(root);
        var target = nodes[random.Next(nodes.Count)];
        JsonNode? replacement = random.Next(10) switch
        {
            0 => null,
            1 => JsonValue.Create(-1),
            2 => JsonValue.Create(1e308),
            3 => JsonValue.Create(""),
            4 => JsonValue.Create(new string('x', random.Next(1, 20_000))),
            5 => new JsonArray(Enumerable.Range(0, random.Next(1, 300)).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
            6 => JsonNode.Parse(new string('[', 60) + new string(']', 60)),
            7 => new JsonObject { ["resourceType"] = "Patient", ["id"] = "../../etc/passwd" },
            8 => JsonValue.Create(true),
            _ => JsonValue.Create("2026-13-45T99:99:99Z"),
        };
        if (target.Parent is JsonObject parent)
        {
            var key = parent.First(p => ReferenceEquals(p.Value, target)).Key;
            if (random.Next(4) == 0)
            {
                parent.Remove(key);
            }
            else
            {
                parent[key] = replacement;
            }
        }
        else if (target.Parent is JsonArray array)
        {
            array[array.IndexOf(target)] = replacement;
        }
        return root;
    }

    private static HttpRequestMessage MutatedBearer(Random random, string valid, CrashBenchmark.Setup setup)
    {
        var parts = valid.Split('.');
        string B64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = random.Next(8) switch
        {
            0 => $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{parts[1]}.",
            1 => $"{B64("{\"alg\":\"HS256\",\"kid\":\"../../keyring.json\"}")}.{parts[1]}.{parts[2]}",
            2 => $"{parts[0]}.{B64("{\"sub\":\"demo-la-lcpp\",\"exp\":99999999999,\"iss\":\"https://evil.example\"}")}.{parts[2]}",
            3 => $"{parts[0]}.{parts[1]}",
            4 => $"{parts[0]}.{parts[1]}.{parts[2]}.{parts[2]}",
            5 => Mutate(random, valid, Json: false),
            6 => $"{Mutate(random, parts[0], Json: false)}.{parts[1]}.{parts[2]}",
            _ => new string('e', random.Next(1, 6_000)),
        };
        var request = Get($"/fhir/Patient/{setup.LaChild}", "x", setup.Enquiry);
        request.Headers.Remove("Authorization");
        var scheme = random.Next(10) switch { 0 => "bearer", 1 => "Basic", 2 => "", _ => "Bearer" };
        request.Headers.TryAddWithoutValidation("Authorization", $"{scheme} {token}");
        return request;
    }

    /// <summary>
    /// Whether the request carries <paramref name="valid"/> as a bearer token, perhaps written differently but the same when
    /// read: the scheme in any case, spaces around it, and base64url's spare bits in the last character of each part
    /// (RFC 4648 lets a decoder ignore them). Anything else accepted would be a changed token let in.
    /// </summary>
    private static bool SameToken(HttpRequestMessage request, string valid)
    {
        request.Headers.TryGetValues("Authorization", out var values);
        var header = values?.SingleOrDefault()?.Trim() ?? "";
        if (!header.StartsWith("bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var sent = header[7..].Trim().Split('.');
        var expected = valid.Split('.');
        return sent.Length == expected.Length && sent.Zip(expected).All(p => Base64Url(p.First) is { } a && Base64Url(p.Second) is { } b && a.AsSpan().SequenceEqual(b));
    }

    private static byte[]? Base64Url(string part)
    {
        var text = part.Replace('-', '+').Replace('_', '/');
        text = text.PadRight(text.Length + ((4 - text.Length % 4) % 4), '=');
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static HttpRequestMessage MutatedAssertion(Random random)
    {
        string B64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var assertion = $"{B64("{\"alg\":\"ES256\",\"kid\":\"police-case-system\",\"typ\":\"JWT\"}")}.{B64($"{{\"iss\":\"police-case-system\",\"sub\":\"police-case-system\",\"aud\":\"http://127.0.0.1/token\",\"jti\":\"{Guid.NewGuid()}\",\"exp\":{now + 60},\"iat\":{now}}}")}.{B64("not a signature")}";
        var fields = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "client_credentials"),
            new("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            new("client_assertion", Mutate(random, assertion, Json: false)),
            new("scope", Mutate(random, "system/Observation.read system/Patient.read", Json: false)),
        };
        if (random.Next(4) == 0)
        {
            fields.RemoveAt(random.Next(fields.Count));
        }
        var body = string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={(random.Next(5) == 0 ? f.Value : Uri.EscapeDataString(f.Value))}"));
        return new HttpRequestMessage(HttpMethod.Post, "/token") { Content = new StringContent(random.Next(6) == 0 ? Mutate(random, body, Json: false) : body, Encoding.UTF8, "application/x-www-form-urlencoded") };
    }

    private sealed class Seeds(CrashBenchmark.Setup setup, Guid healthChild)
    {
        public (string Path, string Body)[] Resources { get; } =
        [
            ("/fhir/Observation", JsonSerializer.Serialize(new
            {
                resourceType = "Observation",
                meta = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = "health.clinical" } } },
                identifier = new[] { new { system = "urn:sharinghub:source-reference:health", value = "FUZZ-1" } },
                status = "final",
                category = new[] { new { coding = new[] { new { system = "urn:sharinghub:event-category", code = "hospital-attendance" } } } },
                code = new { text = "Attendance" },
                subject = new { reference = $"Patient/{healthChild}" },
                effectiveDateTime = "2026-10-01T09:30:00Z",
                valueString = "Attended the emergency department",
            })),
            ("/fhir/Patient", JsonSerializer.Serialize(new
            {
                resourceType = "Patient",
                identifier = new[] { new { system = "https://fhir.nhs.uk/Id/nhs-number", value = "9990000034" } },
                name = new[] { new { family = "Fuzzperson", given = new[] { "Ivy" } } },
                birthDate = "2015-06-01",
                gender = "female",
                address = new[] { new { text = "1 Test Street, Testtown TE1 1ST" } },
            })),
            ("/fhir/Flag", JsonSerializer.Serialize(new
            {
                resourceType = "Flag",
                meta = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = "health.clinical" } } },
                identifier = new[] { new { system = "urn:sharinghub:source-reference:trust-northgate", value = "FUZZ-FLAG" } },
                status = "active",
                code = new { coding = new[] { new { system = "urn:sharinghub:state", code = "child-in-need" } } },
                subject = new { reference = $"Patient/{healthChild}" },
                period = new { start = "2026-09-03T09:00:00Z" },
            })),
        ];

        public string Bundle { get; } = JsonSerializer.Serialize(new
        {
            resourceType = "Bundle",
            type = "transaction",
            entry = new object[]
            {
                new
                {
                    fullUrl = "urn:uuid:8c1d1f8e-0000-4000-8000-000000000001",
                    resource = new { resourceType = "Patient", identifier = new[] { new { system = "https://fhir.nhs.uk/Id/nhs-number", value = "9990000042" } },
                        name = new[] { new { family = "Fuzzbundle", given = new[] { "Ada" } } }, birthDate = "2015-06-01", gender = "female" },
                    request = new { method = "POST", url = "Patient" },
                },
                new
                {
                    resource = new
                    {
                        resourceType = "Observation",
                        meta = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = "health.clinical" } } },
                        identifier = new[] { new { system = "urn:sharinghub:source-reference:health", value = "FUZZ-B-1" } },
                        status = "final",
                        category = new[] { new { coding = new[] { new { system = "urn:sharinghub:event-category", code = "hospital-attendance" } } } },
                        code = new { text = "Attendance" },
                        subject = new { reference = "urn:uuid:8c1d1f8e-0000-4000-8000-000000000001" },
                        effectiveDateTime = "2026-10-01T09:30:00Z",
                    },
                    request = new { method = "POST", url = "Observation" },
                },
            },
        });

        public string[] Searches { get; } =
        [
            "/fhir/Patient?family=Crashtest&birthdate=2016-05-14",
            $"/fhir/Observation?patient=Patient/{setup.LaChild}&date=ge2026-01-01&_count=5&_sort=-date",
            "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026&_count=1",
            $"/fhir/Observation?subject=Patient/{setup.LaChild}&category=domestic-abuse-incident&date=lt2027-01-01T00:00:00Z",
            $"/fhir/Patient/{setup.LaChild}/$chronology?_count=20",
            $"/fhir/Task?code=information-request&patient=Patient/{setup.LaChild}",
        ];

        public string[] OData { get; } =
        [
            "/odata/Events?$filter=category eq 'missing-episode' and occurredAt ge 2026-01-01T00:00:00Z&$orderby=occurredAt desc&$top=5&$count=true",
            "/odata/Events?$filter=contains(category,'abuse') or startswith(category,'miss')&$select=id,category&$skip=2",
            "/odata/Events?$filter=significance in ('high','critical') and not (owningAgency eq 'la')&$expand=subjects($select=familyName)",
            $"/odata/People({setup.LaChild})/SharingHub.chronology()?$filter=occurredAt lt now()&$orderby=occurredAt&$top=3",
            "/odata/Enquiries?$filter=status eq 'open'&$expand=subjects&$count=true",
            "/odata/Events/$count?$filter=length(category) gt 3 and tolower(category) eq toupper(category)",
        ];

        /// <summary>The hub's own JSON bodies (opening a case, its meetings, conferences, requests), each as the LCPP would send it.</summary>
        public (string Path, string Body)[] Workflow { get; } =
        [
            ("/enquiries", Json(new
            {
                subjects = new[] { new { person = setup.LaChild, role = "child" } }, grounds = "Bruising seen at school",
                members = new[] { new { agency = "police", user = "demo-police-officer", role = "police" } },
            })),
            ("/strategy-discussions", Json(new { subjects = new[] { new { person = setup.LaChild, role = "child" } }, grounds = "Bruising seen at school" })),
            ($"/enquiries/{setup.Enquiry}/strategy-meetings", Json(new
            {
                heldAt = "2026-09-02T10:00:00Z", attendees = new[] { new { agency = "police", user = "demo-police-officer", role = "police" } },
                contributions = new[] { new { agency = "police", summary = "Two call-outs this year" } }, decisions = "Proceed under section 47",
            })),
            ($"/enquiries/{setup.Enquiry}/conferences", Json(new
            {
                kind = "initial", heldAt = "2026-09-20T10:00:00Z", attendance = new[] { new { agency = "police", attended = true, report = true } },
                decision = "plan", category = "neglect", coreGroup = new[] { new { agency = "police", user = "demo-police-officer", role = "police" } },
            })),
            ($"/enquiries/{setup.Enquiry}/information-requests", Json(new { agency = "health", question = "Any missed appointments this year?", dueAt = "2026-09-10T17:00:00Z" })),
            ($"/enquiries/{setup.Enquiry}/emergency-actions", Json(new { kind = "police-protection", startedAt = "2026-09-01T20:00:00Z", agency = "police", user = "demo-police-officer" })),
            ($"/enquiries/{setup.Enquiry}/members", Json(new { agency = "education", user = "demo-education-lead", role = "education" })),
        ];

        private static string Json(object value) => JsonSerializer.Serialize(value);

        public string ODataBody { get; } = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["occurredAt"] = "2026-10-20T21:30:00Z", ["category"] = "missing-episode", ["significance"] = "high", ["summary"] = "Reported missing from home",
            ["detail"] = "Found by officers at 23:10", ["dataClass"] = "police.incident", ["sourceReference"] = "OD-FUZZ-1",
            ["subjects@odata.bind"] = new[] { $"People({setup.PoliceChild})" },
        });
    }

    /// <summary>The policy folder with one file mutated, loaded as the hub loads it at start-up.</summary>
    private static readonly Lazy<string> PolicyFolder = new(() =>
    {
        var root = new DirectoryInfo(Directory.GetCurrentDirectory());
        return Path.Combine(root.FullName, "policies");
    });

    private static string? Policies(Random random, string scratch)
    {
        var files = Directory.GetFiles(PolicyFolder.Value, "*.yaml", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}tests{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var victim = files[random.Next(files.Count)];
        foreach (var file in files)
        {
            var target = Path.Combine(scratch, Path.GetRelativePath(PolicyFolder.Value, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var text = File.ReadAllText(file);
            File.WriteAllText(target, file == victim ? MutateYaml(random, text) : text, Lenient);
        }
        try
        {
            PolicyLoader.Load(scratch, KnownFields);
            return null;
        }
        catch (PolicyLoadException e)
        {
            return e.Message;
        }
    }

    private static readonly Lazy<SharingHub.Policies.Model.PolicySet> LoadedPolicy = new(() => PolicyLoader.Load(PolicyFolder.Value, KnownFields));

    private static IReadOnlySet<string> KnownFields => SharingHub.Policies.Model.RecordFields.All;

    /// <summary>UTF-8 that writes a lone surrogate an edit made as U+FFFD, as an editor would save it, rather than failing the harness.</summary>
    private static readonly System.Text.UTF8Encoding Lenient = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private static string? TrustRegistry(Random random, string scratch)
    {
        var policy = LoadedPolicy.Value;
        var file = Path.Combine(scratch, "trust-registry.yaml");
        File.WriteAllText(file, MutateYaml(random, File.ReadAllText(Path.Combine(PolicyFolder.Value, "trust-registry.yaml"))), Lenient);
        try
        {
            TrustRegistryLoader.Load([file], policy);
            return null;
        }
        catch (Exception e) when (e is PolicyLoadException or InvalidDataException or FormatException)
        {
            return e.Message;
        }
    }

    private static readonly string[] YamlFragments = ["\n", ": ", "- ", "  ", "\t", "#", "&a ", "*a", "!!binary ", "[", "]", "{", "}", "'", "\"", "|", ">", "~", "null",
        "<<: *a", "%YAML 1.1\n", "---\n", "...\n", "?", new string('[', 200), "any", "all", "9999999999999999999", "😀"];

    private static string MutateYaml(Random random, string text)
    {
        var lines = text.Split('\n').ToList();
        for (var m = random.Next(1, 5); m > 0 && lines.Count > 0; m--)
        {
            var at = random.Next(lines.Count);
            switch (random.Next(5))
            {
                case 0:
                    lines.RemoveAt(at);
                    break;
                case 1:
                    lines.Insert(at, lines[random.Next(lines.Count)]);
                    break;
                case 2:
                    lines[at] = lines[at].Length == 0 ? YamlFragments[random.Next(YamlFragments.Length)] : lines[at].Insert(random.Next(lines[at].Length), YamlFragments[random.Next(YamlFragments.Length)]);
                    break;
                case 3:
                    lines[at] = new string(' ', random.Next(0, 8)) + lines[at].TrimStart();
                    break;
                default:
                    lines[at] = lines[at].Length == 0 ? lines[at] : lines[at][..random.Next(lines[at].Length)];
                    break;
            }
        }
        return string.Join('\n', lines);
    }

    private static FamilyResult LoadAll(string name, int count, int seed, Func<Random, string, string?> load)
    {
        var result = new FamilyResult(name);
        var scratch = Path.Combine(Path.GetTempPath(), "sharinghub-fuzz-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var random = new Random(Seed(name, seed, i));
                var folder = Path.Combine(scratch, (i % 4).ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(folder);
                var started = Stopwatch.GetTimestamp();
                string status;
                try
                {
                    var refusal = load(random, folder);
                    status = refusal is null ? "loaded" : "refused with file and line";
                    if (refusal is not null && Leaks(refusal, []) is { } leak && leak != "a file path")
                    {
                        result.Failures.Enqueue($"{name} #{i} (seed {seed}): the refusal carries {leak}");
                    }
                }
                catch (Exception e)
                {
                    status = "crashed: " + e.GetType().Name;
                    Interlocked.Increment(ref result.ServerErrors);
                    result.Failures.Enqueue($"{name} #{i} (seed {seed}): {e.GetType().Name}: {Clip(e.Message)}");
                }
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                result.SlowestMs = Math.Max(result.SlowestMs, elapsed);
                if (elapsed > 1_000)
                {
                    result.Slow++;
                    result.Failures.Enqueue($"{name} #{i} (seed {seed}) took {elapsed:N0} ms");
                }
                result.Statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                result.Count++;
            }
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
        return result;
    }
}
