using System.Diagnostics;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.OData;

/// <summary>
/// Parser robustness: the OASIS OData ABNF test cases (read from shared/conformance beside the
/// repository when it is there) and many generated mutations of valid queries go to the running hub. None may fail
/// with a 5xx, and none may take a second.
/// </summary>
public abstract class ODataRobustnessTests(DatabaseEngine engine) : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    // The queries go faster than a person's rate limit allows (600 a minute), and a throttled query is held back half
    // a second and never reaches the parser; the limit is off here so that every query is parsed (RateLimitTests test it).
    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine, new Dictionary<string, string?>
    {
        ["SharingHub:RateLimits:PersonRequestsPerMinute"] = "0",
    });

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private async Task<(int Status, string Body, TimeSpan Elapsed)> TimedAsync(string path, string user, Guid enquiry)
    {
        var watch = Stopwatch.StartNew();
        using var response = await _hub.GetAsync(path, user, user == "demo-la-ig" ? "audit-review" : "s47-enquiry", enquiry);
        var body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, body, watch.Elapsed);
    }

    private static readonly string[] Seeds =
    [
        "Events?$filter=category eq 'missing-episode' and occurredAt ge 2026-01-01T00:00:00Z&$orderby=occurredAt desc&$top=5&$count=true",
        "Events?$filter=contains(category,'abuse') or startswith(category,'miss')&$select=id,category&$skip=2",
        "Events?$filter=significance in ('high','critical') and not (owningAgency eq 'la')&$expand=subjects($select=familyName)",
        "Events?$filter=subjects/any(p: p/id eq 00000000-0000-0000-0000-000000000001)&$orderby=significance desc,occurredAt",
        "Events?$filter=year(occurredAt) eq 2026 and date(occurredAt) ne 2026-03-01&$count=true",
        "Events(00000000-0000-0000-0000-000000000001)?$select=summary&$expand=subjects",
        "Events/$count?$filter=length(category) gt 3 and tolower(category) eq toupper(category)",
        "People?$filter=nhsNumber eq '9990000026' and familyName eq 'Smith' and birthDate eq 2016-05-14&$select=givenName",
        "People(00000000-0000-0000-0000-000000000001)/SharingHub.chronology()?$filter=occurredAt lt now()&$orderby=occurredAt&$top=3",
        "States?$filter=personId eq 00000000-0000-0000-0000-000000000001 and endedAt eq null&$expand=person",
        "Involvements?$filter=status eq SharingHub.InvolvementStatus'open'&$orderby=startedAt desc&$expand=person($select=kind)",
        "Enquiries?$filter=status eq 'open'&$expand=subjects&$count=true",
        "InformationRequests?$filter=dueAt lt 2026-12-01T00:00:00Z&$expand=enquiry($select=reference)",
        "Consents?$filter=decision eq 'permit' and periodEnd eq null&$orderby=periodStart",
        "AuditEntries?$filter=actor eq 'demo-la-lcpp' and contains(subjects,'x')&$orderby=sequence desc&$top=2",
        "Events?$filter=(category eq 'a' or (category eq 'b' and (significance eq 'low' or not (occurredAt gt 2020-01-01T00:00:00Z))))",
    ];

    private static readonly string[] Tokens =
    [
        "eq", " and ", " or ", "not ", "any(", "all(", "$filter=", "$expand=", "$orderby=", "$top=", "$skip=", "$select=", "$count=true", "now()", "null", "true",
        "'x'", "''", "2026-13-45", "99999999999999999999", "-1", "1.5e308", "INF", "NaN", "duration'P1D'", "/", "(", ")", "%", "%27", "%00", "&", "=", ",", ":",
        "SharingHub.", "@p", "$it", "$root", "geography'POINT(0 0)'", "cast(", "isof(", "$ref", "$value", "$batch", "('", new string('(', 64), new string('a', 600),
    ];

    private static IEnumerable<string> Generated(int count)
    {
        var random = new Random(20261122);
        for (var i = 0; i < count; i++)
        {
            var text = Seeds[random.Next(Seeds.Length)];
            for (var m = random.Next(1, 4); m > 0 && text.Length > 0; m--)
            {
                var at = random.Next(text.Length);
                text = random.Next(5) switch
                {
                    0 => text.Remove(at, 1),
                    1 => text.Insert(at, Tokens[random.Next(Tokens.Length)]),
                    2 => text[..at],
                    3 => text.Insert(at, text[at..Math.Min(text.Length, at + random.Next(1, 30))]),
                    _ => text.Remove(at, Math.Min(text.Length - at, random.Next(1, 12))).Insert(at, Tokens[random.Next(Tokens.Length)]),
                };
            }
            yield return text;
        }
    }

    /// <summary>The ABNF test cases, each as a request: URLs as paths, query options on Events, expressions as a $filter.</summary>
    private const string Corpus = "odata-abnf-testcases.yaml";

    private static List<string> Conformance()
    {
        var file = ConformanceCorpus.Find(Corpus) ?? throw new FileNotFoundException(Corpus);
        var cases = new List<string>();
        string? rule = null;
        foreach (var raw in File.ReadLines(file))
        {
            var line = raw.Trim();
            if (line.StartsWith("Rule:", StringComparison.Ordinal))
            {
                rule = line[5..].Trim();
            }
            else if (line.StartsWith("Input:", StringComparison.Ordinal) && rule is not null)
            {
                var input = line[6..].Trim();
                if (input.Length > 1 && input[0] == '"' && input[^1] == '"')
                {
                    input = input[1..^1];
                }
                cases.Add(rule switch
                {
                    "odataRelativeUri" or "resourcePath" => input,
                    "queryOptions" or "systemQueryOption" => "Events?" + input,
                    "odataUri" => input.Contains("/$metadata", StringComparison.Ordinal) ? "Events" : input.Split('/', 5).ElementAtOrDefault(4) ?? "",
                    _ => "Events?$filter=" + Uri.EscapeDataString(input),
                });
            }
        }
        return cases;
    }

    [ConformanceFact(Corpus)]
    public async Task Given_the_abnf_test_cases_then_no_answer_is_a_server_error_and_none_takes_a_second()
    {
        var conformance = Conformance();
        Assert.True(conformance.Count > 500, $"only {conformance.Count} ABNF cases read");
        var statuses = await SendAllAsync(conformance, minimumSent: 400);
        Assert.True(statuses.GetValueOrDefault(400) > 100, string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
    }

    [Fact]
    public async Task Given_mutated_queries_then_no_answer_is_a_server_error_and_none_takes_a_second()
    {
        var statuses = await SendAllAsync(Seeds.Concat(Generated(1_200)).ToList(), minimumSent: 1_100);
        // Both kinds of answer occur: the mutations are not all refused, nor all accepted.
        Assert.True(statuses.GetValueOrDefault(200) > 20 && statuses.GetValueOrDefault(400) > 500, string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
    }

    private async Task<Dictionary<int, int>> SendAllAsync(List<string> queries, int minimumSent)
    {
        var c = await _hub.CaseAsync();
        // Warm up: the first request pays for compiling the hub's code paths, not for the query.
        foreach (var seed in Seeds)
        {
            (await _hub.GetAsync("/odata/" + seed, "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id)).Dispose();
        }

        var statuses = new Dictionary<int, int>();
        var slow = new List<(long Ms, string Query)>();
        var sent = 0;
        foreach (var query in queries)
        {
            // A NUL in the path never reaches the hub (Kestrel refuses it; the in-process test server throws), so it is not sent.
            if (!Uri.TryCreate(_hub.Client.BaseAddress!, "/odata/" + query, out var uri) || uri.AbsolutePath.Contains("%00", StringComparison.Ordinal))
            {
                continue;
            }
            var user = query.StartsWith("AuditEntries", StringComparison.Ordinal) ? "demo-la-ig" : "demo-la-lcpp";
            var (status, body, elapsed) = await TimedAsync(uri.PathAndQuery, user, c.Enquiry.Id);
            // A query slower than a second is sent twice more: a query that is slow stays slow, a noisy moment on a shared machine does not.
            for (var retry = 0; retry < 2 && elapsed >= TimeSpan.FromSeconds(1); retry++)
            {
                var again = await TimedAsync(uri.PathAndQuery, user, c.Enquiry.Id);
                elapsed = again.Elapsed < elapsed ? again.Elapsed : elapsed;
            }
            sent++;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status < 500, $"{query} -> {status} {body}");
            Assert.True(status != 429, $"{query} was throttled, not parsed");
            slow.Add(((long)elapsed.TotalMilliseconds, query));
            Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        }

        Assert.True(sent > minimumSent, $"only {sent} queries sent");
        var slowest = slow.OrderByDescending(s => s.Ms).Take(10).ToList();
        Assert.True(slowest[0].Ms < 1_000, string.Join("\n", slowest.Select(s => $"{s.Ms} ms: {s.Query}")));
        return statuses;
    }
}

public sealed class SqliteODataRobustnessTests() : ODataRobustnessTests(DatabaseEngine.Sqlite);

public sealed class PostgresODataRobustnessTests() : ODataRobustnessTests(DatabaseEngine.Postgres);
