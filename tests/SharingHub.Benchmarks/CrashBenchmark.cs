using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Audit;
using SharingHub.Data.Demo;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Benchmarks;

/// <summary>
/// Crash during work (issue 28, family 1): the hub, as its own process, under mixed load (FHIR transaction bundles, OData
/// writes, chronology reads, front-door triage reads that owe the police a notice, strategy meetings recorded in an
/// enquiry) is killed with SIGKILL at a random moment, again and again; on PostgreSQL the database server is also crashed
/// (immediate shutdown) in every fourth run. After each restart: every write the client saw acknowledged is there and
/// reads back as written; no transaction bundle is half there; the audit log verifies and holds an entry for every
/// acknowledged request (by its X-Request-Id); and the notification outbox delivers every notice it owes. Seeded, so a
/// failing run can be replayed (--seed).
/// </summary>
internal static class CrashBenchmark
{
    private const int EventsPerBundle = 5;

    /// <param name="report">Where the figures go.</param>
    /// <param name="engine">The database engine under the hub.</param>
    /// <param name="kills">How many times the hub is killed.</param>
    /// <param name="seed">Seeds the moments of the kills, so a failing run can be replayed.</param>
    /// <param name="injectLoss">Proves the checks can fail: after the first kill one acknowledged write is deleted behind the hub's
    /// back, and the run passes only if the checks report exactly that write lost.</param>
    public static async Task<bool> RunAsync(Report report, DatabaseEngine engine, int kills, int seed, bool injectLoss = false)
    {
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        await using var database = await TestDatabase.CreateAsync(engine, pooled: true);
        await using var services = await database.StartServicesAsync();
        var setup = await SetUpAsync(services);
        await using var police = await StubReceiver.StartAsync();
        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string[] settings =
        [
            $"--SharingHub:Notifications:Endpoints:police:Url={police.Url}", $"--SharingHub:Notifications:Endpoints:police:Secret={secret}",
            "--SharingHub:Notifications:PollSeconds=0.5", "--SharingHub:Notifications:FirstRetrySeconds=1",
        ];
        var totals = new Totals();
        var problems = new List<string>();
        Iteration? previous = null;
        Guid? injected = null;
        for (var kill = 0; kill <= kills; kill++)
        {
            await using var hub = await HubProcess.StartAsync(database, settings);
            using var http = new HttpClient { BaseAddress = hub.Url, Timeout = TimeSpan.FromSeconds(30) };
            var tokens = await TokensAsync(http);
            if (previous is not null)
            {
                problems.AddRange((await CheckAsync(http, tokens, services, setup, previous, police, totals)).Select(p => $"after kill {kill} ({engine}): {p}"));
            }
            if (kill == kills)
            {
                break;
            }
            // Work for a random while, then die mid-flight.
            var iteration = new Iteration(kill);
            using var stop = new CancellationTokenSource();
            var workers = MixedLoad(http, tokens, setup, iteration, stop.Token);
            await Task.Delay(random.Next(250, 2_500));
            // The injected loss needs one acknowledged OData write to delete: a cold hub may not have answered one yet.
            for (var waited = Stopwatch.StartNew(); injectLoss && kill == 0 && iteration.Events.IsEmpty && waited.Elapsed < TimeSpan.FromSeconds(60);)
            {
                await Task.Delay(50);
            }
            await hub.KillAsync();
            var crashServer = engine == DatabaseEngine.Postgres && kill % 4 == 3;
            if (crashServer)
            {
                await (await PostgresServer.GetAsync()).CrashAndRestartAsync();
                totals.ServerCrashes++;
            }
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            if (injectLoss && kill == 0)
            {
                injected = iteration.Events.FirstOrDefault().Id;
                await DeleteEventAsync(services, injected.Value);
            }
            totals.Kills++;
            previous = iteration;
        }
        var passed = injectLoss
            ? injected is { } lost && lost != Guid.Empty && problems.Count(p => p.Contains(lost.ToString(), StringComparison.Ordinal)) == 1
            : problems.Count == 0;
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"#### Crash during work: {engine}, {totals.Kills} SIGKILLs of the hub{(engine == DatabaseEngine.Postgres ? $" ({totals.ServerCrashes} with PostgreSQL crashed too)" : "")}, seed {seed}, {clock.Elapsed.TotalMinutes:N1} min");
        table.AppendLine();
        table.AppendLine("| checked after every restart | count | failures |");
        table.AppendLine("|---|---:|---:|");
        table.AppendLine(CultureInfo.InvariantCulture, $"| acknowledged writes there as written (OData events read back through the API, bundles' patients and events, strategy meetings) | {totals.WritesChecked:N0} | {totals.WritesLost} |");
        table.AppendLine(CultureInfo.InvariantCulture, $"| transaction bundles sent (in flight at the kill included): all {EventsPerBundle + 1} entries or none | {totals.BundlesChecked:N0} | {totals.BundlesHalf} |");
        table.AppendLine(CultureInfo.InvariantCulture, $"| acknowledged requests with their audit entry (X-Request-Id) | {totals.RequestsChecked:N0} | {totals.RequestsUnaudited} |");
        table.AppendLine(CultureInfo.InvariantCulture, $"| audit log verified (entries, at the last restart) | {totals.AuditEntries:N0} | {totals.AuditFailures} |");
        table.AppendLine(CultureInfo.InvariantCulture, $"| notices owed to police delivered after restart | {totals.NoticesOwed:N0} | {totals.NoticesUndelivered} |");
        foreach (var problem in problems.Take(20))
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"\n- FAILED {problem}");
        }
        report.AddSection(table.ToString());
        Console.Error.WriteLine(injectLoss
            ? (passed ? $"crash ({engine}): the write deleted behind the hub's back ({injected}) was reported lost" : $"crash ({engine}): the injected loss {injected} was NOT reported")
            : passed ? $"crash ({engine}): {totals.Kills} kills, nothing lost" : $"crash ({engine}): {problems.Count} problems; first: {problems[0]}");
        return passed;
    }

    internal sealed record Setup(Guid LaChild, Guid PoliceChild, Guid Incident, Guid Enquiry, Guid Referral);

    internal sealed record Tokens(string Health, string Police, string Lcpp, string FrontDoor);

    internal sealed class Totals
    {
        public int Kills;
        public int ServerCrashes;
        public long WritesChecked;
        public long WritesLost;
        public long BundlesChecked;
        public long BundlesHalf;
        public long RequestsChecked;
        public long RequestsUnaudited;
        public long AuditEntries;
        public long AuditFailures;
        public long NoticesOwed;
        public long NoticesUndelivered;
    }

    /// <summary>What one run between kills sent and what it saw acknowledged.</summary>
    internal sealed class Iteration(int number)
    {
        private int _serial;
        public int Number { get; } = number;
        public string Next() => $"{Number}-{Interlocked.Increment(ref _serial)}";
        public ConcurrentBag<(Guid Id, string Summary)> Events { get; } = [];
        public ConcurrentBag<(string[] References, Guid? Patient)> Bundles { get; } = [];
        public ConcurrentBag<string> Meetings { get; } = [];
        public ConcurrentBag<string> RequestIds { get; } = [];

        public void Acknowledged(HttpResponseMessage response)
        {
            if (response.Headers.TryGetValues("X-Request-Id", out var ids))
            {
                RequestIds.Add(ids.First());
            }
        }
    }

    /// <summary>A child known to the council and police, in an open enquiry, with a police referral at the front door.</summary>
    internal static async Task<Setup> SetUpAsync(ServiceProvider services)
    {
        var store = services.GetRequiredService<IRecordStore>();
        var builder = new RecordBuilder(services.GetRequiredService<IFieldCipher>(), services.GetRequiredService<IBlindIndexer>());
        var ct = CancellationToken.None;
        var now = DateTimeOffset.UtcNow;
        var la = await store.AddAsync(builder.Person("la", "Mia", "Crashtest", "2016-05-14", IdentifierKind.LaPersonId, "7000001"), ct);
        var police = await store.AddAsync(builder.Person("police", "Mia", "Crashtest", "2016-05-14", IdentifierKind.PncId,
            "2019/0012345" + AgencyIdentifiers.PncCheckLetter("19", "0012345")), ct);
        var incident = await store.AddAsync(builder.Event(police, "police", "Officers attended a report of shouting", now.AddDays(-10), "NICHE-CRASH-1",
            "police.incident", "Neighbour reported shouting", "domestic-abuse-incident"), ct);
        var enquiry = new Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "enquiry", Reference = "S47-CRASH-1", Status = EnquiryStatus.Open, OpenedAt = now.AddDays(-1),
            LeadPractitioner = "demo-la-lcpp",
        };
        foreach (var (agency, user, role) in new[] { ("la", "demo-la-lcpp", "lcpp"), ("police", "demo-police-officer", "police") })
        {
            enquiry.Members.Add(new EnquiryMember { Id = Guid.NewGuid(), EnquiryId = enquiry.Id, Agency = agency, UserSubject = user, Role = role, AddedAt = now.AddDays(-1) });
        }
        enquiry.Subjects.Add(new EnquirySubject { EnquiryId = enquiry.Id, PersonId = la.Id, Role = "child" });
        await store.AddAsync(enquiry, ct);
        var referral = new Referral
        {
            Id = Guid.NewGuid(), OwningAgency = "police", OwningOrganisation = police.OwningOrganisation, DataClass = "referral", SubjectPersonId = police.Id,
            ReceivedAt = now.AddHours(-2), DecisionDueAt = now.AddDays(30),
        };
        referral.Concern = services.GetRequiredService<IFieldCipher>().Encrypt("Shouting heard at the address", SensitiveFields.For(referral, nameof(Referral.Concern)));
        await store.AddAsync(referral, ct);
        return new Setup(la.Id, police.Id, incident.Id, enquiry.Id, referral.Id);
    }

    private static async Task DeleteEventAsync(ServiceProvider services, Guid id)
    {
        await using var db = services.GetRequiredService<IHubDbContextFactory>().Create();
        await db.Database.ExecuteSqlAsync($"DELETE FROM \"EventSubjects\" WHERE \"EventId\" = {id}");
        await db.Database.ExecuteSqlAsync($"DELETE FROM \"Events\" WHERE \"Id\" = {id}");
    }

    /// <summary>
    /// The mixed load: two callers sending transaction bundles, three writing OData events, one reading chronologies and
    /// recording strategy meetings, one triaging at the front door (each owing the police a notice); each until stopped or
    /// until the hub dies under one of its requests.
    /// </summary>
    internal static Task[] MixedLoad(HttpClient http, Tokens tokens, Setup setup, Iteration iteration, CancellationToken stop) =>
    [
        Worker(() => BundleAsync(http, tokens, iteration), stop),
        Worker(() => BundleAsync(http, tokens, iteration), stop),
        Worker(() => ODataEventAsync(http, tokens, setup, iteration), stop),
        Worker(() => ODataEventAsync(http, tokens, setup, iteration), stop),
        Worker(() => ODataEventAsync(http, tokens, setup, iteration), stop),
        Worker(() => ChronologyOrMeetingAsync(http, tokens, setup, iteration), stop),
        Worker(() => TriageAsync(http, tokens, setup, iteration), stop),
    ];

    /// <summary>Tokens for the four demo users the load acts as.</summary>
    internal static async Task<Tokens> TokensAsync(HttpClient http) => new(
        await TokenAsync(http, "demo-health-practitioner"), await TokenAsync(http, "demo-police-officer"),
        await TokenAsync(http, "demo-la-lcpp"), await TokenAsync(http, "demo-la-front-door"));

    private static Task Worker(Func<Task> step, CancellationToken stop) => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await step();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                // The hub died under this request: its outcome is unknown to the client, so nothing is claimed for it.
                return;
            }
        }
    });

    internal static HttpRequestMessage Request(HttpMethod method, string path, string token, HttpContent? content = null, string? purpose = null, Guid? enquiry = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (purpose is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Purpose-Of-Use", purpose);
        }
        if (enquiry is { } e)
        {
            request.Headers.TryAddWithoutValidation("X-Enquiry-Id", e.ToString());
        }
        return request;
    }

    private static async Task BundleAsync(HttpClient http, Tokens tokens, Iteration iteration)
    {
        var serial = iteration.Next();
        var references = Enumerable.Range(0, EventsPerBundle).Select(e => $"CRASH-{serial}-{e}").ToArray();
        var patientUrl = $"urn:uuid:{Guid.NewGuid()}";
        var entries = new List<object>
        {
            new
            {
                fullUrl = patientUrl,
                resource = new
                {
                    resourceType = "Patient",
                    identifier = new[] { new { system = "https://fhir.nhs.uk/Id/nhs-number", value = SyntheticNhsNumbers.NthFromTop(Interlocked.Increment(ref _nhsSerial)) } },
                    name = new[] { new { family = "Crashbundle", given = new[] { "Ivy" } } },
                    birthDate = "2015-06-01",
                    gender = "female",
                },
                request = new { method = "POST", url = "Patient" },
            },
        };
        entries.AddRange(references.Select(reference => (object)new
        {
            resource = new
            {
                resourceType = "Observation",
                meta = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = "health.clinical" } } },
                identifier = new[] { new { system = "urn:sharinghub:source-reference:health", value = reference } },
                status = "final",
                category = new[] { new { coding = new[] { new { system = "urn:sharinghub:event-category", code = "hospital-attendance" } } } },
                code = new { text = "Attendance" },
                subject = new { reference = patientUrl },
                effectiveDateTime = "2026-10-01T09:30:00Z",
                valueString = "Attended the emergency department",
            },
            request = new { method = "POST", url = "Observation" },
        }));
        var body = JsonSerializer.Serialize(new { resourceType = "Bundle", type = "transaction", entry = entries });
        // Sent: whatever happens next, the bundle must be all there or not there at all.
        var sent = (references, (Guid?)null);
        using var response = await http.SendAsync(Request(HttpMethod.Post, "/fhir", tokens.Health, new StringContent(body, Encoding.UTF8, "application/fhir+json")));
        if (response.StatusCode != HttpStatusCode.OK)
        {
            iteration.Bundles.Add(sent);
            return;
        }
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var location = answer.GetProperty("entry")[0].GetProperty("response").GetProperty("location").GetString()!;
        iteration.Bundles.Add((references, Guid.Parse(location.Split('/')[1])));
        iteration.Acknowledged(response);
    }

    private static async Task ODataEventAsync(HttpClient http, Tokens tokens, Setup setup, Iteration iteration)
    {
        var serial = iteration.Next();
        var summary = $"Reported missing from home, crash run {serial}";
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["occurredAt"] = "2026-10-20T21:30:00Z", ["category"] = "missing-episode", ["significance"] = "high", ["summary"] = summary,
            ["detail"] = "Found by officers at 23:10", ["dataClass"] = "police.incident", ["sourceReference"] = $"OD-CRASH-{serial}",
            ["subjects@odata.bind"] = new[] { $"People({setup.PoliceChild})" },
        });
        using var response = await http.SendAsync(Request(HttpMethod.Post, "/odata/Events", tokens.Police, new StringContent(body, Encoding.UTF8, "application/json")));
        if (response.StatusCode == HttpStatusCode.Created)
        {
            var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
            iteration.Events.Add((id, summary));
            iteration.Acknowledged(response);
        }
    }

    private static async Task ChronologyOrMeetingAsync(HttpClient http, Tokens tokens, Setup setup, Iteration iteration)
    {
        var serial = iteration.Next();
        if (serial.EndsWith('0'))
        {
            var decisions = $"Joint visit, crash run {serial}";
            using var meeting = await http.SendAsync(Request(HttpMethod.Post, $"/enquiries/{setup.Enquiry}/strategy-meetings", tokens.Lcpp, JsonContent.Create(new
            {
                heldAt = DateTimeOffset.UtcNow.AddHours(-1),
                attendees = new[] { new { agency = "la", user = "demo-la-lcpp", role = "lcpp" }, new { agency = "police", user = "demo-police-officer", role = "police" } },
                contributions = new[] { new { agency = "police", summary = "Two call-outs to the address" } },
                decisions,
            })));
            if (meeting.StatusCode == HttpStatusCode.Created)
            {
                iteration.Meetings.Add(decisions);
                iteration.Acknowledged(meeting);
            }
            return;
        }
        using var read = await http.SendAsync(Request(HttpMethod.Get, $"/fhir/Patient/{setup.LaChild}/$chronology", tokens.Lcpp, purpose: "s47-enquiry", enquiry: setup.Enquiry));
        await read.Content.ReadAsByteArrayAsync();
        if (read.IsSuccessStatusCode)
        {
            iteration.Acknowledged(read);
        }
    }

    private static async Task TriageAsync(HttpClient http, Tokens tokens, Setup setup, Iteration iteration)
    {
        using var request = Request(HttpMethod.Get, $"/fhir/Observation/{setup.Incident}", tokens.FrontDoor, purpose: "front-door-triage");
        request.Headers.TryAddWithoutValidation("X-Referral-Id", setup.Referral.ToString());
        using var read = await http.SendAsync(request);
        await read.Content.ReadAsByteArrayAsync();
        if (read.IsSuccessStatusCode)
        {
            iteration.Acknowledged(read);
        }
        // A few a second: each owes the police a notice, and the outbox must not grow faster than a test waits for it.
        await Task.Delay(200);
    }

    /// <summary>Everything the previous run was told, checked against what the restarted hub and its database hold.</summary>
    internal static async Task<List<string>> CheckAsync(HttpClient http, Tokens tokens, ServiceProvider services, Setup setup, Iteration previous,
        StubReceiver police, Totals totals)
    {
        var problems = new List<string>();
        foreach (var (id, summary) in previous.Events)
        {
            totals.WritesChecked++;
            using var read = await http.SendAsync(Request(HttpMethod.Get, $"/odata/Events({id})", tokens.Police, purpose: "s47-enquiry", enquiry: setup.Enquiry));
            var body = await read.Content.ReadAsStringAsync();
            if (read.StatusCode != HttpStatusCode.OK || !body.Contains(summary, StringComparison.Ordinal))
            {
                totals.WritesLost++;
                problems.Add($"acknowledged OData event {id} reads {(int)read.StatusCode}, without its summary: {body[..Math.Min(200, body.Length)]}");
            }
        }
        if (!previous.Meetings.IsEmpty)
        {
            using var read = await http.SendAsync(Request(HttpMethod.Get, $"/enquiries/{setup.Enquiry}/strategy-meetings", tokens.Lcpp, purpose: "s47-enquiry", enquiry: setup.Enquiry));
            var body = await read.Content.ReadAsStringAsync();
            foreach (var decisions in previous.Meetings)
            {
                totals.WritesChecked++;
                if (!body.Contains(decisions, StringComparison.Ordinal))
                {
                    totals.WritesLost++;
                    problems.Add($"acknowledged strategy meeting '{decisions}' is not in the enquiry ({(int)read.StatusCode})");
                }
            }
        }

        await using var db = services.GetRequiredService<IHubDbContextFactory>().Create();
        foreach (var (references, patient) in previous.Bundles)
        {
            totals.BundlesChecked++;
            var stored = await db.Events.AsNoTracking().CountAsync(e => references.Contains(e.SourceReference));
            if (patient is { } acknowledged)
            {
                // The patient the bundle's answer named, with every one of its events about it.
                totals.WritesChecked++;
                var about = await db.Events.AsNoTracking().CountAsync(e => references.Contains(e.SourceReference) && e.Subjects.Any(s => s.PersonId == acknowledged));
                if (!await db.People.AsNoTracking().AnyAsync(p => p.Id == acknowledged) || about != references.Length)
                {
                    totals.WritesLost++;
                    problems.Add($"acknowledged bundle {references[0]}: its patient {acknowledged} or its events ({about} of {references.Length}) are missing");
                }
            }
            if ((stored != 0 || patient is not null) && stored != references.Length)
            {
                totals.BundlesHalf++;
                problems.Add($"bundle {references[0]}: {stored} of {references.Length} events stored{(patient is null ? "" : " (acknowledged)")}");
            }
        }
        var requestIds = previous.RequestIds.ToList();
        totals.RequestsChecked += requestIds.Count;
        var audited = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in requestIds.Chunk(500))
        {
            audited.UnionWith(await db.AuditEntries.AsNoTracking().Where(a => chunk.Contains(a.RequestId)).Select(a => a.RequestId).ToListAsync());
        }
        foreach (var missing in requestIds.Where(r => !audited.Contains(r)))
        {
            totals.RequestsUnaudited++;
            problems.Add($"acknowledged request {missing} has no audit entry");
        }
        var checkpoints = await db.AuditCheckpoints.AsNoTracking().ToListAsync();
        var verification = AuditVerifier.Verify(db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).AsEnumerable(), checkpoints,
            services.GetRequiredService<AuditCheckpointer>().PublicKeys);
        totals.AuditEntries = verification.EntriesChecked;
        if (!verification.Ok)
        {
            totals.AuditFailures++;
            problems.Add($"audit log does not verify: entry {verification.FirstBadSequence}: {verification.Problem}");
        }

        // Every notice due is delivered by the restarted hub: none left pending, none dead, each one received.
        var due = DateTimeOffset.UtcNow;
        var waited = Stopwatch.StartNew();
        List<SharingHub.Data.Notifications.Notification> owed;
        do
        {
            await Task.Delay(250);
            await using var poll = services.GetRequiredService<IHubDbContextFactory>().Create();
            owed = (await poll.Notifications.AsNoTracking().Where(n => n.Organisation == "police").ToListAsync()).Where(n => n.DueAt <= due).ToList();
        }
        while (owed.Any(n => n.DeliveredAt is null && n.DeadAt is null) && waited.Elapsed < TimeSpan.FromSeconds(30));
        var received = police.Received.Select(r => r.Headers.GetValueOrDefault("X-SharingHub-Notification-Id")).ToHashSet(StringComparer.OrdinalIgnoreCase);
        totals.NoticesOwed = owed.Count;
        foreach (var notice in owed.Where(n => n.DeliveredAt is null || !received.Contains(n.Id.ToString())))
        {
            totals.NoticesUndelivered++;
            problems.Add($"notice {notice.Id} to police: {(notice.DeadAt is null ? "not delivered" : "dead: " + notice.LastError)} within 30 s of the restart");
        }
        return problems;
    }

    private static int _nhsSerial;

    internal static async Task<string> TokenAsync(HttpClient http, string user)
    {
        using var response = await http.PostAsync("/dev-idp/token", new FormUrlEncodedContent([new("username", user)]));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    }
}
